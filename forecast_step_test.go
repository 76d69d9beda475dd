package usage

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

func TestStepperDaysAdvanceOneLocalDate(t *testing.T) {
	t.Parallel()
	for _, zone := range []string{"UTC", "America/New_York", "Europe/Lisbon", "America/Havana",
		"America/Santiago", "Australia/Lord_Howe", "Asia/Kolkata"} {
		loc, err := time.LoadLocation(zone)
		require.NoError(t, err)
		s := stepper{step: ForecastDaily, loc: loc}
		// Two years cross every month's end, leap day included, and every clock change.
		day := s.start(time.Date(2027, 12, 31, 12, 0, 0, 0, time.UTC).AddDate(-2, 0, 0))
		for range 2 * 366 {
			next := s.next(day)
			require.True(t, next.After(day), "%s: the day after %v is %v", zone, day, next)
			y, m, d := day.In(loc).Date()
			require.Equal(t, time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly),
				next.In(loc).Format(time.DateOnly), "%s: one date on from %v", zone, day)
			require.InDelta(t, 24, next.Sub(day).Hours(), 1, "%s: day %v", zone, day)
			require.True(t, s.start(next).Equal(next), "%s: %v starts a day", zone, next)
			require.True(t, s.start(next.Add(-time.Nanosecond)).Equal(day), "%s: %v is in day %v", zone, next, day)
			day = next
		}
	}
}

func TestStepperDaysWhoseMidnightIsSkipped(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		zone string
		day  time.Time // a date whose midnight the clocks skip
	}{
		{"America/Havana", time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC)},
		{"America/Santiago", time.Date(2026, 9, 6, 0, 0, 0, 0, time.UTC)},
	} {
		loc, err := time.LoadLocation(c.zone)
		require.NoError(t, err)
		s := stepper{step: ForecastDaily, loc: loc}
		before := periodStart(c.day.Year(), c.day.Month(), c.day.Day()-1, loc)
		start := s.next(before)
		require.Equal(t, c.day.Format(time.DateOnly), start.In(loc).Format(time.DateOnly), c.zone)
		require.Equal(t, 1, start.In(loc).Hour(), "%s: the day starts when the clocks change", c.zone)
		require.Equal(t, 24*time.Hour, start.Sub(before), "%s: the day before is whole", c.zone)
		require.Equal(t, 23*time.Hour, s.next(start).Sub(start), "%s: the day itself lacks its first hour", c.zone)
		require.True(t, s.start(start.Add(time.Minute)).Equal(start), c.zone)
	}
}

func TestStepperHours(t *testing.T) {
	t.Parallel()
	s := stepper{step: ForecastHourly, loc: time.UTC}
	at := time.Date(2026, 3, 31, 23, 59, 0, 0, time.UTC)
	require.Equal(t, time.Date(2026, 3, 31, 23, 0, 0, 0, time.UTC), s.start(at))
	require.Equal(t, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), s.next(s.start(at)))
}

func TestFold(t *testing.T) {
	t.Parallel()
	s := stepper{step: ForecastDaily, loc: time.UTC}
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	cur := from.AddDate(0, 0, 4)
	units := func(v int64) int64 { return v * store.MicrosPerUnit }
	bucket := func(day, hour int, total, count, lo, hi int64) store.Bucket {
		return store.Bucket{Start: from.AddDate(0, 0, day).Add(time.Duration(hour) * time.Hour),
			Total: units(total), Count: count, Min: units(lo), Max: units(hi)}
	}
	// Nothing on day 0 nor day 2; two hours on day 1 and on day 3; some of today.
	buckets := []store.Bucket{
		bucket(1, 9, 10, 2, 4, 6),
		bucket(1, 17, 5, 1, 5, 5),
		bucket(3, 0, 8, 4, 1, 3),
		bucket(3, 23, 2, 1, 2, 2),
		bucket(4, 8, 7, 1, 7, 7),
	}
	for _, c := range []struct {
		agg     Aggregation
		values  []float64
		current float64
	}{
		{AggregationSum, []float64{0, 15, 0, 10}, 7},
		{AggregationCount, []float64{0, 3, 0, 5}, 1},
		{AggregationMax, []float64{0, 6, 6, 3}, 7},
		{AggregationMin, []float64{0, 4, 4, 1}, 7},
		{AggregationAvg, []float64{0, 5, 5, 2}, 7},
		{AggregationLatest, []float64{0, 5, 5, 2}, 7},
	} {
		got := fold(Metric{Aggregation: c.agg}, s, from, cur, buckets)
		require.Equal(t, c.values, got.values, c.agg)
		require.Equal(t, 1, got.first, c.agg)
		require.Equal(t, c.current, got.current, c.agg)
	}
	empty := fold(Metric{Aggregation: AggregationSum}, s, from, cur, nil)
	require.Equal(t, -1, empty.first)
	require.Equal(t, []float64{0, 0, 0, 0}, empty.values)
}
