package httpmw

import (
	"strconv"
	"testing"
	"time"
)

func TestAppendMillisMatchesAppendFloat(t *testing.T) {
	for _, d := range []time.Duration{0, 999, time.Microsecond, 7 * time.Microsecond, 10 * time.Microsecond,
		999 * time.Microsecond, time.Millisecond, 1234567 * time.Microsecond, 90 * time.Minute, -1500 * time.Microsecond} {
		want := strconv.AppendFloat(nil, float64(d.Microseconds())/1000, 'f', 3, 64)
		if got := appendMillis(nil, d); string(got) != string(want) {
			t.Errorf("appendMillis(%v) = %q, want %q", d, got, want)
		}
	}
}
