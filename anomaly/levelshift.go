package anomaly

import (
	"cmp"
	"math"
	"time"
)

// LevelShiftConfig configures a [LevelShift] detector. The zero value uses the
// defaults.
type LevelShiftConfig struct {
	// Recent is the number of latest points whose median is tested. Defaults to 12.
	Recent int
	// Reference is the number of points before those that form the baseline.
	// Defaults to DefaultWindow.
	Reference int
	// MinPoints is how many reference points are needed before it scores. Defaults
	// to DefaultMinPoints, and at most Reference.
	MinPoints int
	// Threshold is the shift, in robust standard deviations of the reference, above
	// which Fired is set. Defaults to DefaultZ.
	Threshold float64
}

// LevelShift detects a sustained change of level: the median of the Recent latest
// points (the current one included) against the median of the Reference points
// before them, in units of the reference's scaled MAD. A single spike moves the
// recent median little, so it reacts to shifts that last about Recent/2 points,
// not to spikes. O(Recent + Reference) per point.
//
// Score.Stat is the shift in robust standard deviations (signed). Score.Value is
// its z-value, as for [ZScore].
type LevelShift struct {
	cfg    LevelShiftConfig
	recent sortedWindow
	ref    sortedWindow
}

// NewLevelShift returns a LevelShift detector.
func NewLevelShift(cfg LevelShiftConfig) *LevelShift {
	cfg.Recent = max(cmp.Or(cfg.Recent, 12), 1)
	cfg.Reference = max(cmp.Or(cfg.Reference, DefaultWindow), 2)
	cfg.MinPoints = min(max(cmp.Or(cfg.MinPoints, DefaultMinPoints), 2), cfg.Reference)
	cfg.Threshold = cmp.Or(cfg.Threshold, DefaultZ)
	return &LevelShift{cfg: cfg, recent: newSortedWindow(cfg.Recent), ref: newSortedWindow(cfg.Reference)}
}

// Update adds v to the recent window and scores the shift of the recent median.
func (d *LevelShift) Update(_ time.Time, v float64) Score {
	if !finite(v) {
		return Score{}
	}
	if d.recent.r.full() {
		d.ref.push(d.recent.r.at(0))
	}
	d.recent.push(v)
	if !d.recent.r.full() || d.ref.count() < d.cfg.MinPoints {
		return Score{}
	}
	med := d.ref.median()
	shift := ratio(d.recent.median()-med, robustScale(&d.ref, med))
	return Score{Value: zValue(shift), Stat: shift, Fired: math.Abs(shift) > d.cfg.Threshold, Ready: true}
}
