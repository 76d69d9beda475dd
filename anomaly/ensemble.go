package anomaly

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Ensemble defaults.
const (
	// DefaultAlarmAt is the default score at or above which a point raises an alarm.
	DefaultAlarmAt = 0.82
	// DefaultQuiet is the default number of points after an alarm during which no
	// new alarm is raised.
	DefaultQuiet = 100
)

// UsageEnsembleConfig returns the configuration for hourly usage totals of one
// subject, as DetectAnomalies uses it, chosen on generated SaaS tenants rather
// than on NAB:
//   - a warm-up of 120 calibrated points (five days), and seasonal slots that keep
//     weekends apart and score from their second past point, so that a subject
//     can alarm in its second week, at weekends too;
//   - a single point at a robust z of 10 against its hour alarms by itself: hourly
//     sums dilute a burst or an outage of an hour or two below the members'
//     averaged errors;
//   - off-hours means an hour usually below half the average hour, used at least
//     as much as an average hour, and alarms by itself when also well above the
//     usual for that hour: real tenants' nights are rarely idle;
//   - a quiet period of a day, so that one alarm does not hide the next incident
//     for days.
func UsageEnsembleConfig() EnsembleConfig {
	return EnsembleConfig{
		Quiet:         24,
		Warmup:        120,
		Weekends:      true,
		SlotPoints:    2,
		SpikeZ:        10,
		OffHoursAlarm: true,
		OffHours:      OffHoursConfig{Idle: 0.5, Amount: 1},
	}
}

// Names of the detectors in an [Ensemble], as found in [Reason.Detector].
const (
	NameZScore     = "zscore"
	NameSeasonal   = "seasonal"
	NameLevelShift = "levelshift"
	NameKNN        = "knn"
	NameSpike      = "spike"
	NameVelocity   = "velocity"
	NameOffHours   = "offhours"
	NameRegularity = "regularity"
)

// EnsembleConfig configures an [Ensemble]. The zero value uses the defaults.
type EnsembleConfig struct {
	// Location is the subject's time zone, for the seasonal baseline and off-hours
	// usage. Defaults to UTC.
	Location *time.Location
	// AlarmAt is the score at or above which a point raises an alarm. Defaults to
	// DefaultAlarmAt.
	AlarmAt float64
	// Quiet is the number of points after an alarm during which no new alarm is
	// raised and Assessment.Alert is 0, so that one incident raises one alarm.
	// Defaults to DefaultQuiet.
	Quiet int
	// Warmup is how many calibrated scores each statistical detector needs before it
	// scores. Defaults to DefaultWindow.
	Warmup int
	// KNNWarmup is how many of its own past context distances the nearest-contexts
	// member ranks a context against before it scores (KNNConfig.MinPoints), on
	// top of the calibration of Warmup. Defaults to DefaultWindow; a shorter one
	// lets a short series alarm sooner.
	KNNWarmup int
	// Weekends keeps weekend hours apart from weekday hours in the seasonal
	// baseline ([HourOfWorkday] rather than [HourOfDay]).
	Weekends bool
	// SlotPoints is how many past points an hour of the seasonal baseline needs
	// before the seasonal detector scores. Defaults to 8.
	SlotPoints int
	// SpikeZ, when positive, is the robust z against the same hour's past at which
	// a single point raises an alarm by itself (reason NameSpike), provided it is
	// also at least half the usual level away from it. Zero turns this off.
	SpikeZ float64
	// OffHoursAlarm lets heavy usage at a quiet hour that is also well above the
	// usual for that hour raise an alarm by itself.
	OffHoursAlarm bool
	// Velocity, OffHours and Regularity configure the behavioural detectors, which
	// add reasons, risk and the fraud flag. Their Location defaults to the
	// ensemble's.
	Velocity   VelocityConfig
	OffHours   OffHoursConfig
	Regularity RegularityConfig
}

// Assessment is an [Ensemble]'s verdict on one point.
type Assessment struct {
	// Score is the anomaly score in [0, 1]: the highest [Surprise] score among the
	// statistical detectors (z-score, seasonal, level shift, nearest contexts),
	// raised to AlarmAt for a single point far outside its hour's usual range
	// (reason NameSpike) and for heavy off-hours usage far above its hour.
	Score float64
	// Alert is Score outside quiet periods and 0 within Quiet points after an
	// alarm: the score of a new incident. Threshold or rank this one to be told
	// once per incident.
	Alert float64
	// Alarm reports whether a new incident starts here: Alert ≥ AlarmAt.
	Alarm bool
	// Risk is a risk score from 0 to 100 combining Score with the behavioural
	// detectors' scores as independent evidence: 100·(1 − (1−Score)·Π(1−b)).
	Risk int
	// FraudSuspect reports an alarm-level rise in usage (Score ≥ AlarmAt, value well
	// above the usual for its hour, so not traffic returning after an outage) that
	// is confirmed: far above that usual level, sustained for several points, or
	// seen by a behavioural detector (growth over 500 % in an hour, heavy usage at a
	// quiet hour, bot-like regularity).
	FraudSuspect bool
	// Reasons lists the detectors that fired at this point, strongest first; nil
	// when none did.
	Reasons []Reason
}

// Reason says that one detector fired and by how much.
type Reason struct {
	// Detector is the detector's name: NameZScore, NameSeasonal, NameLevelShift,
	// NameKNN, NameVelocity, NameOffHours or NameRegularity.
	Detector string
	// Stat is the detector's statistic (see each detector's Score.Stat).
	Stat float64
	// Value is its score in [0, 1]: the [Surprise] score for the statistical
	// detectors, the detector's own Score.Value for the behavioural ones.
	Value float64
}

// Ensemble runs the statistical detectors ([ZScore] over 1000 points, [Seasonal] by
// hour of the day, or of the workday or weekend, [LevelShift], [KNN]), each
// calibrated by a [Surprise], and the behavioural ones ([Velocity], [OffHours],
// [Regularity]) on one series, and combines them. The zero EnsembleConfig suits
// series of any kind (DefaultAlarmAt and DefaultQuiet were chosen on the NAB
// corpus); [UsageEnsembleConfig] suits hourly usage. O(History) work per point
// with pruning (see BenchmarkEnsemble); the state per series is mostly the
// calibration history.
type Ensemble struct {
	cfg      EnsembleConfig
	members  []member
	level    *ZScore   // the z-score member, whose sign tells a rise from a drop
	seasonal *Seasonal // the seasonal member: a rise above the usual for the hour
	behave   []behaviour
	quiet    int // points left in the quiet period
	// above counts the latest consecutive points well above their seasonal
	// baseline: a sustained rise, as from a leaked key or a bot.
	above int
}

// Fraud and single-point rules of the ensemble.
const (
	// sustained is how many consecutive points above the seasonal baseline make a
	// rise sustained, which suspects abuse even without a behavioural detector.
	sustained = 3
	// pointChange is the least relative change from the hour's usual level for a
	// single point to alarm (EnsembleConfig.SpikeZ): half of it more or less.
	pointChange = 0.5
)

type member struct {
	name string
	det  Detector
	lik  likelihood
}

type behaviour struct {
	name string
	det  Detector
}

// NewEnsemble returns an Ensemble.
func NewEnsemble(cfg EnsembleConfig) *Ensemble {
	cfg.Location = cmp.Or(cfg.Location, time.UTC)
	cfg.AlarmAt = cmp.Or(cfg.AlarmAt, DefaultAlarmAt)
	cfg.Quiet = cmp.Or(cfg.Quiet, DefaultQuiet)
	cfg.OffHours.Location = cmp.Or(cfg.OffHours.Location, cfg.Location)
	sur := SurpriseConfig{Threshold: cfg.AlarmAt, MinPoints: cfg.Warmup}.withDefaults()
	level := NewZScore(RollingConfig{Window: 1000})
	season := HourOfDay
	if cfg.Weekends {
		season = HourOfWorkday
	}
	seasonal := NewSeasonal(SeasonalConfig{Location: cfg.Location, Season: season, Depth: 48,
		MinPoints: cfg.SlotPoints})
	e := &Ensemble{cfg: cfg, level: level, seasonal: seasonal}
	for _, m := range []struct {
		name string
		det  Detector
	}{
		{NameZScore, level},
		{NameSeasonal, seasonal},
		{NameLevelShift, NewLevelShift(LevelShiftConfig{})},
		{NameKNN, NewKNN(KNNConfig{MinPoints: cfg.KNNWarmup})},
	} {
		e.members = append(e.members, member{name: m.name, det: m.det, lik: newLikelihood(sur)})
	}
	e.behave = []behaviour{
		{NameVelocity, NewVelocity(cfg.Velocity)},
		{NameOffHours, NewOffHours(cfg.OffHours)},
		{NameRegularity, NewRegularity(cfg.Regularity)},
	}
	return e
}

// Update scores the point at time t with value v. NaN and ±Inf values are ignored:
// they get a zero Assessment and leave the state unchanged.
func (e *Ensemble) Update(t time.Time, v float64) Assessment {
	if !finite(v) {
		return Assessment{}
	}
	var a Assessment
	rising, seasonalReady, farAbove := false, false, false
	for i := range e.members {
		m := &e.members[i]
		b := m.det.Update(t, v)
		switch m.det {
		case Detector(e.level):
			rising = rising || (!seasonalReady && b.Stat > 0)
		case Detector(e.seasonal):
			// Above the usual for the hour, not merely above the recent level: the
			// return of traffic after an outage is not a rise.
			seasonalReady = b.Ready
			// A single point far outside its hour's usual range is an incident by
			// itself: a burst or an outage of an hour or two, which the members'
			// average of ten errors dilutes below the alarm level.
			// The relative bar keeps near-noiseless series, whose scale is tiny, from
			// alarming on ordinary wobbles.
			if e.cfg.SpikeZ > 0 && b.Ready && math.Abs(b.Stat) >= e.cfg.SpikeZ && math.Abs(v-e.seasonal.usual) >= pointChange*math.Abs(e.seasonal.usual) {
				a.Score = max(a.Score, e.cfg.AlarmAt)
				farAbove = b.Stat > 0
				a.Reasons = append(a.Reasons, Reason{Detector: NameSpike, Stat: b.Stat, Value: b.Value})
			}
			rising = b.Ready && b.Stat > DefaultZ || !b.Ready && rising
			if rising && b.Ready {
				e.above++
			} else {
				e.above = 0
			}
		}
		s := m.lik.observe(b)
		a.Score = max(a.Score, s.Value)
		if b.Fired || s.Fired {
			a.Reasons = append(a.Reasons, Reason{Detector: m.name, Stat: b.Stat, Value: s.Value})
		}
	}
	keep := 1 - a.Score
	confirmed := e.above >= sustained || farAbove
	for _, b := range e.behave {
		s := b.det.Update(t, v)
		keep *= 1 - s.Value
		if s.Fired {
			confirmed = true
			a.Reasons = append(a.Reasons, Reason{Detector: b.name, Stat: s.Stat, Value: s.Value})
			// Heavy usage at a quiet hour that is also far above the usual for that
			// hour is an incident by itself, even before the calibrated errors
			// have moved.
			if e.cfg.OffHoursAlarm && b.name == NameOffHours && rising && seasonalReady {
				a.Score = max(a.Score, e.cfg.AlarmAt)
			}
		}
	}
	a.Risk = int(math.Round(100 * clamp01(1-keep)))
	if e.quiet > 0 {
		e.quiet--
	} else {
		a.Alert = a.Score
		if a.Alert >= e.cfg.AlarmAt {
			a.Alarm = true
			e.quiet = e.cfg.Quiet
		}
	}
	a.FraudSuspect = a.Score >= e.cfg.AlarmAt && rising && confirmed
	slices.SortStableFunc(a.Reasons, func(x, y Reason) int { return cmp.Compare(y.Value, x.Value) })
	return a
}

// Detect runs the ensemble over a whole series in order, one Assessment per point.
// It panics if times and values differ in length.
func (e *Ensemble) Detect(times []time.Time, values []float64) []Assessment {
	if len(times) != len(values) {
		panic("anomaly: Ensemble.Detect: times and values differ in length")
	}
	out := make([]Assessment, len(values))
	for i, v := range values {
		out[i] = e.Update(times[i], v)
	}
	return out
}
