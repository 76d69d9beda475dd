package anomaly

import (
	"cmp"
	"math"
	"time"
)

// VelocityConfig configures a [Velocity] detector. The zero value uses the defaults.
type VelocityConfig struct {
	// Interval is the length of the two periods compared. Defaults to an hour.
	Interval time.Duration
	// MaxChange is the relative growth above which Fired is set: 5 means the last
	// interval's total exceeds the previous one's by more than 500 %. Defaults to 5.
	MaxChange float64
	// MinBase is the smallest previous-interval total that counts as a base, in the
	// series' units: growth is measured against max(previous, MinBase), so going from
	// 0 to 3 requests is not an infinite jump. Defaults to 1.
	MinBase float64
}

// Velocity flags sudden growth: the total of the values in the last Interval (the
// current point included) against the total of the Interval before it. It needs two
// full intervals of history before it scores. Values are summed, so feed it counts
// or amounts per point, not cumulative meters. O(points per 2·Interval) memory.
//
// Score.Stat is the relative change (cur − prev) / max(prev, MinBase): 5 means
// +500 %, −0.5 means halved. Score.Value is Stat/(Stat + MaxChange) for growth and 0
// otherwise, so it is 0.5 exactly at MaxChange.
type Velocity struct {
	cfg   VelocityConfig
	start time.Time // first point seen
	last  time.Time
	times []time.Time // points in the last 2·Interval, oldest first
	vals  []float64
}

// NewVelocity returns a Velocity detector.
func NewVelocity(cfg VelocityConfig) *Velocity {
	cfg.Interval = cmp.Or(cfg.Interval, time.Hour)
	cfg.MaxChange = cmp.Or(cfg.MaxChange, 5)
	cfg.MinBase = cmp.Or(cfg.MinBase, 1)
	return &Velocity{cfg: cfg}
}

// Update adds the point and scores the growth of the last interval.
func (d *Velocity) Update(t time.Time, v float64) Score {
	if !finite(v) {
		return Score{}
	}
	if d.start.IsZero() {
		d.start = t
	}
	if t.Before(d.last) {
		t = d.last
	}
	d.last = t
	d.times = append(d.times, t)
	d.vals = append(d.vals, v)
	// Keep only the points of the last two intervals.
	cut := t.Add(-2 * d.cfg.Interval)
	drop := 0
	for drop < len(d.times) && !d.times[drop].After(cut) {
		drop++
	}
	if drop > 0 {
		d.times = append(d.times[:0], d.times[drop:]...)
		d.vals = append(d.vals[:0], d.vals[drop:]...)
	}
	if t.Sub(d.start) < 2*d.cfg.Interval {
		return Score{}
	}
	mid := t.Add(-d.cfg.Interval)
	var cur, prev float64
	for i, pt := range d.times {
		if pt.After(mid) {
			cur += d.vals[i]
		} else {
			prev += d.vals[i]
		}
	}
	change := (cur - prev) / max(prev, d.cfg.MinBase)
	s := Score{Stat: change, Fired: change > d.cfg.MaxChange, Ready: true}
	switch {
	case math.IsNaN(change):
		return Score{Ready: true}
	case math.IsInf(change, 1):
		s.Value = 1 // overflowed sums of huge values
	case change > 0:
		s.Value = clamp01(change / (change + d.cfg.MaxChange))
	}
	return s
}
