package anomaly

import (
	"fmt"
	"time"
)

// Score is one detector's verdict on one point.
type Score struct {
	// Value is the anomaly score in [0, 1]: 0 for an ordinary point or while the
	// detector is still learning, approaching 1 for very unusual points. It is never
	// NaN. Each detector documents its scale; within one detector a higher value is
	// always more unusual.
	Value float64
	// Stat is the detector's own statistic in its own units (a z-score, a relative
	// change, …), signed where direction matters; 0 while learning. It may be ±Inf
	// when the baseline has no spread at all.
	Stat float64
	// Fired reports whether the detector's rule fired: |z| > 3 for [ZScore], a
	// change above 500 % for [Velocity], and so on.
	Fired bool
	// Ready reports whether the detector had enough history to judge the point.
	// While it is false the other fields are zero: "not known yet", not "normal".
	Ready bool
}

// Detector scores a series one point at a time.
//
// Update takes the next point of the series, t its time and v its value, and returns
// its score. Points are expected in time order; detectors that use time treat a
// point earlier than the one before it as simultaneous with it. NaN and ±Inf values
// are ignored: they score zero and leave the detector's state unchanged.
type Detector interface {
	Update(t time.Time, v float64) Score
}

// Detect runs d over a whole series in order and returns one score per point. It
// panics if times and values differ in length. d keeps its state, so a later Detect
// or Update continues the same series.
func Detect(d Detector, times []time.Time, values []float64) []Score {
	if len(times) != len(values) {
		panic(fmt.Sprintf("anomaly: Detect: %d times for %d values", len(times), len(values)))
	}
	out := make([]Score, len(values))
	for i, v := range values {
		out[i] = d.Update(times[i], v)
	}
	return out
}
