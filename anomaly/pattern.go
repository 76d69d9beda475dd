package anomaly

import (
	"cmp"
	"math"
	"time"
)

// OffHoursConfig configures an [OffHours] detector. The zero value uses the
// defaults.
type OffHoursConfig struct {
	// Location is the subject's time zone, in which hours are taken. Defaults to
	// UTC.
	Location *time.Location
	// Learn is how much history the detector needs before it scores. Defaults to 7
	// days.
	Learn time.Duration
	// Idle is the usual usage of an hour, relative to the average hour, below which
	// it counts as off-hours: 0.1 means an hour that normally sees less than a
	// tenth of the average. Real tenants' nights are rarely idle (background jobs,
	// users in other zones), so for usage a quiet hour (0.5) is the better bar.
	// Defaults to 0.1.
	Idle float64
	// Amount is the usage, relative to the average point, at or above which a point
	// in an off-hours hour fires: 1 means at least an average point's usage, so the
	// ordinary trickle of a quiet hour does not fire and office-hours usage at night
	// does. Defaults to 0: any positive usage.
	Amount float64
}

// OffHours flags usage at hours of the day when the subject is normally idle or
// quiet, in the subject's time zone: 3 a.m. traffic from an account that mostly
// works 9 to 5; with Amount, only heavy usage, at office-hours level. It learns each hour's share of the total usage from all
// points so far (positive values only), so it needs Learn of history. O(1) per
// point.
//
// Score.Stat is the hour's usual usage relative to the average hour (1 is average,
// 0 never used). For a positive value after the learning period, Score.Value is
// 1 − Stat clamped to [0, 1], scaled down by v/(Amount·average point) when v is
// below that, and Fired is Stat < Idle with v at least Amount times the average
// point (any v when Amount is 0); zero or negative values score 0.
type OffHours struct {
	cfg   OffHoursConfig
	start time.Time
	hours [24]float64
	total float64
	n     float64 // points seen, for the average point
}

// NewOffHours returns an OffHours detector.
func NewOffHours(cfg OffHoursConfig) *OffHours {
	cfg.Location = cmp.Or(cfg.Location, time.UTC)
	cfg.Learn = cmp.Or(cfg.Learn, 7*24*time.Hour)
	cfg.Idle = cmp.Or(cfg.Idle, 0.1)
	return &OffHours{cfg: cfg}
}

// Update scores usage v at time t against the hourly profile, then learns it.
func (d *OffHours) Update(t time.Time, v float64) Score {
	if !finite(v) {
		return Score{}
	}
	if d.start.IsZero() || t.Before(d.start) {
		d.start = t
	}
	h := t.In(d.cfg.Location).Hour()
	var s Score
	if d.total > 0 && t.Sub(d.start) >= d.cfg.Learn {
		s.Ready = true
		if v > 0 {
			s.Stat = 24 * d.hours[h] / d.total
			heavy := 1.0
			if d.cfg.Amount > 0 {
				heavy = v / (d.cfg.Amount * d.total / d.n)
			}
			s.Value = clamp01(1-s.Stat) * min(heavy, 1)
			s.Fired = s.Stat < d.cfg.Idle && heavy >= 1
		}
	}
	d.n++
	if v > 0 && finite(d.total+v) {
		d.hours[h] += v
		d.total += v
	}
	return s
}

// RegularityConfig configures a [Regularity] detector. The zero value uses the
// defaults.
type RegularityConfig struct {
	// Window is the number of latest points examined. Defaults to 24.
	Window int
	// MaxDispersion is the index of dispersion (variance over mean) below which the
	// counts are too regular for people. Defaults to 0.1.
	MaxDispersion float64
}

// Regularity flags bot-like usage: per-interval counts that barely vary. Counts
// from people arriving independently are Poisson-like, with a variance about equal
// to their mean (an index of dispersion near 1, or above when they come in
// sessions), while a script on a timer produces nearly the same count every
// interval (near 0). The index of dispersion, CV²·mean, is used rather than the
// coefficient of variation alone because the CV of honest Poisson counts shrinks
// as their mean grows. It looks at the latest Window points (the current one
// included), which should be event counts, and needs a positive mean. O(1) per
// point.
//
// Score.Stat is the index of dispersion. Score.Value is 1 − Stat/(2·MaxDispersion)
// clamped to [0, 1]: 1 for identical counts, 0.5 at MaxDispersion. Fired is Stat <
// MaxDispersion.
type Regularity struct {
	cfg RegularityConfig
	win meanVar
}

// NewRegularity returns a Regularity detector.
func NewRegularity(cfg RegularityConfig) *Regularity {
	cfg.Window = max(cmp.Or(cfg.Window, 24), 2)
	cfg.MaxDispersion = cmp.Or(cfg.MaxDispersion, 0.1)
	return &Regularity{cfg: cfg, win: newMeanVar(cfg.Window)}
}

// Update adds v to the window and scores its regularity.
func (d *Regularity) Update(_ time.Time, v float64) Score {
	if !finite(v) {
		return Score{}
	}
	d.win.push(v)
	mean := d.win.mean()
	if !d.win.r.full() {
		return Score{}
	}
	if !(mean > 0) || math.IsInf(mean, 0) {
		return Score{Ready: true}
	}
	sd := d.win.std()
	disp := sd * sd / mean
	return Score{Value: clamp01(1 - disp/(2*d.cfg.MaxDispersion)), Stat: disp,
		Fired: disp < d.cfg.MaxDispersion, Ready: true}
}
