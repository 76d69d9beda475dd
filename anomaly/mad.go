package anomaly

import (
	"math"
	"time"
)

// MAD is the robust statistical detector: the z-score of each point against the
// median of the Window points before it, in units of their median absolute
// deviation scaled to match a normal standard deviation (1.4826·MAD). Outliers
// barely move the median and the MAD, so a burst of spikes does not hide the next
// one. When more than half the window is one value the MAD is 0 and the mean
// absolute deviation stands in. O(Window) per point.
//
// Score.Stat is the robust z (signed; ±Inf when the window is constant and the point
// is not). Score.Value is its z-value, as for [ZScore].
type MAD struct {
	cfg RollingConfig
	win sortedWindow
}

// NewMAD returns a MAD detector.
func NewMAD(cfg RollingConfig) *MAD {
	cfg = cfg.withDefaults()
	return &MAD{cfg: cfg, win: newSortedWindow(cfg.Window)}
}

// Update scores v against the baseline before it, then adds it to the baseline.
func (d *MAD) Update(_ time.Time, v float64) Score {
	if !finite(v) {
		return Score{}
	}
	var s Score
	if d.win.count() >= d.cfg.MinPoints {
		med := d.win.median()
		z := ratio(v-med, robustScale(&d.win, med))
		s = Score{Value: zValue(z), Stat: z, Fired: math.Abs(z) > d.cfg.Threshold, Ready: true}
	}
	d.win.push(v)
	return s
}
