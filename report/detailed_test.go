package report

import "testing"

func TestTrendOfFollowsTheSlopeBeyondATenthOfTheMean(t *testing.T) {
	for _, c := range []struct {
		values []float64
		want   Trend
	}{
		{nil, TrendFlat},
		{[]float64{5}, TrendFlat},
		{[]float64{10, 10, 10, 10}, TrendFlat},
		{[]float64{10, 11, 12, 13}, TrendUp},
		{[]float64{13, 12, 11, 10}, TrendDown},
		{[]float64{100, 101, 100, 101, 100, 102}, TrendFlat},
		{[]float64{0, 0, 0, 0}, TrendFlat},
	} {
		if got := TrendOf(c.values); got != c.want {
			t.Errorf("TrendOf(%v) = %s, want %s", c.values, got, c.want)
		}
	}
}

func TestChangePercentIsAbsentWithoutAPreviousPeriod(t *testing.T) {
	s := Series{Total: d("150"), PreviousTotal: d("100")}
	if got, ok := s.ChangePercent(); !ok || got != 50 {
		t.Errorf("ChangePercent = %v, %v; want 50, true", got, ok)
	}
	s.PreviousTotal = d("0")
	if _, ok := s.ChangePercent(); ok {
		t.Error("a change against nothing is reported")
	}
}
