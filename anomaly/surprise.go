package anomaly

import (
	"cmp"
	"math"
	"time"
)

// SurpriseConfig configures a [Surprise] detector. The zero value uses the defaults.
type SurpriseConfig struct {
	// Short is the number of latest errors averaged: a lasting deviation scores
	// higher than a single one of the same size. Defaults to 10.
	Short int
	// History is the number of past averages forming the reference distribution.
	// Defaults to 8640 (30 days of 5-minute points).
	History int
	// MinPoints is how many averages the reference needs before it scores. Defaults
	// to DefaultWindow.
	MinPoints int
	// Threshold is the Value at or above which Fired is set. Defaults to
	// DefaultAlarmAt.
	Threshold float64
}

func (c SurpriseConfig) withDefaults() SurpriseConfig {
	c.Short = max(cmp.Or(c.Short, 10), 1)
	c.History = max(cmp.Or(c.History, 8640), 2)
	c.MinPoints = min(max(cmp.Or(c.MinPoints, DefaultWindow), 2), c.History)
	c.Threshold = cmp.Or(c.Threshold, DefaultAlarmAt)
	return c
}

// Surprise turns another detector's statistic into a calibrated score, after
// Numenta's "anomaly likelihood": it takes the error e = ln(1 + |Stat|) of the
// wrapped detector at each point, averages the Short latest errors, and scores how
// improbable that average is under the normal distribution fitted to the previous
// History averages. A series that is always noisy thus gets used to its noise, and
// what stands out is a change in how predictable it is. O(1) per point on top of
// the wrapped detector.
//
// Score.Stat is the average's z-score in the reference distribution. Score.Value is
// its upper-tail probability p = P(Z ≥ z) as a surprisal s = −log10(2p) squashed to
// s/(1+s): 0 for z ≤ 0, 0.72 at z = 3, 0.8 at z ≈ 3.9 (p = 5e-5), approaching 1
// without ties for extreme points.
type Surprise struct {
	base Detector
	lik  likelihood
}

// NewSurprise returns a Surprise detector over base, which it owns: feed points to
// the Surprise only.
func NewSurprise(base Detector, cfg SurpriseConfig) *Surprise {
	return &Surprise{base: base, lik: newLikelihood(cfg.withDefaults())}
}

// Update feeds the point to the wrapped detector and scores its error.
func (d *Surprise) Update(t time.Time, v float64) Score {
	if !finite(v) {
		return Score{}
	}
	return d.lik.observe(d.base.Update(t, v))
}

// likelihood is the state of a Surprise, shared with the Ensemble, which feeds it
// statistics of detectors it already runs.
type likelihood struct {
	cfg   SurpriseConfig
	short meanVar
	hist  meanVar
}

func newLikelihood(cfg SurpriseConfig) likelihood {
	return likelihood{cfg: cfg, short: newMeanVar(cfg.Short), hist: newMeanVar(cfg.History)}
}

// observe scores the wrapped detector's score b; scores of a detector that is
// still learning are skipped, so that its warm-up zeros do not shape the reference.
func (l *likelihood) observe(b Score) Score {
	stat := b.Stat
	if !b.Ready || math.IsNaN(stat) {
		return Score{}
	}
	// Errors are capped so that one infinite z (a constant baseline) cannot blow up
	// the reference distribution.
	l.short.push(math.Log1p(min(math.Abs(stat), 1e6)))
	if !l.short.r.full() {
		return Score{}
	}
	avg := l.short.mean()
	var s Score
	if l.hist.count() >= l.cfg.MinPoints {
		// The floor keeps rounding noise in a constant error from reading as infinite.
		z := (avg - l.hist.mean()) / max(l.hist.std(), 1e-3)
		s.Stat, s.Ready = z, true
		if z > 0 {
			s.Value = zValue(z)
		}
		s.Fired = s.Value >= l.cfg.Threshold
	}
	l.hist.push(avg)
	return s
}
