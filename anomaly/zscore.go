package anomaly

import (
	"cmp"
	"math"
	"time"
)

// Defaults shared by the rolling detectors.
const (
	// DefaultWindow is the default length of a rolling baseline, in points: a day
	// of 5-minute points.
	DefaultWindow = 288
	// DefaultMinPoints is the default number of points a rolling baseline needs
	// before it scores anything.
	DefaultMinPoints = 30
	// DefaultZ is the default |z| above which a z-score detector fires.
	DefaultZ = 3.0
)

// RollingConfig configures the rolling-baseline detectors [ZScore] and [MAD]. The
// zero value uses the defaults.
type RollingConfig struct {
	// Window is the number of past points in the baseline. Defaults to
	// DefaultWindow.
	Window int
	// MinPoints is how many past points the baseline needs before the detector
	// scores. Defaults to DefaultMinPoints, and at most Window.
	MinPoints int
	// Threshold is the |z| above which Fired is set. Defaults to DefaultZ.
	Threshold float64
}

func (c RollingConfig) withDefaults() RollingConfig {
	c.Window = max(cmp.Or(c.Window, DefaultWindow), 2)
	c.MinPoints = min(max(cmp.Or(c.MinPoints, DefaultMinPoints), 2), c.Window)
	c.Threshold = cmp.Or(c.Threshold, DefaultZ)
	return c
}

// ZScore is the classic statistical detector: the z-score of each point against the
// mean and standard deviation of the Window points before it. It is simple and
// fast (O(1) per point) but its baseline is pulled by the very outliers it looks
// for; [MAD] is the robust alternative.
//
// Score.Stat is z (signed; ±Inf when the baseline is constant and the point is not).
// Score.Value is the z-value: the two-sided normal tail probability p = P(|Z| ≥
// |z|) as a surprisal s = −log10 p (in decades) squashed to s/(1+s). It is 0 at
// z = 0, 0.72 at |z| = 3 (p = 0.0027), 0.9 at p = 1e-9 and 1 only for infinite z,
// so that extreme points stay ranked instead of all rounding to 1 − p = 1.
type ZScore struct {
	cfg RollingConfig
	win meanVar
}

// NewZScore returns a ZScore detector.
func NewZScore(cfg RollingConfig) *ZScore {
	cfg = cfg.withDefaults()
	return &ZScore{cfg: cfg, win: newMeanVar(cfg.Window)}
}

// Update scores v against the baseline before it, then adds it to the baseline.
func (d *ZScore) Update(_ time.Time, v float64) Score {
	if !finite(v) {
		return Score{}
	}
	var s Score
	if d.win.count() >= d.cfg.MinPoints {
		z := ratio(v-d.win.mean(), d.win.std())
		s = Score{Value: zValue(z), Stat: z, Fired: math.Abs(z) > d.cfg.Threshold, Ready: true}
	}
	d.win.push(v)
	return s
}
