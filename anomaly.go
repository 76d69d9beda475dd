package usage

import (
	"time"

	"github.com/usagekit/usage/anomaly"
	"github.com/usagekit/usage/store"
)

// Defaults and bounds of anomaly detection.
const (
	// DefaultAnomalyLookback is how much hourly history DetectAnomalies scores.
	DefaultAnomalyLookback = 30 * 24 * time.Hour
	// MaxAnomalyLookback is the longest DetectOptions.Lookback.
	MaxAnomalyLookback = 90 * 24 * time.Hour
	// DefaultAnomalyEventWindow is how far back DetectAnomalies checks events.
	DefaultAnomalyEventWindow = 24 * time.Hour
	// AnomalyHabitWindow is how far before the event window DetectAnomalies reads
	// event times to tell a client reporting on a timer from new bot-like traffic.
	AnomalyHabitWindow = 7 * 24 * time.Hour
	// DefaultAnomalyMaxEvents is the most events DetectAnomalies reads per series.
	DefaultAnomalyMaxEvents = 10_000
	// DefaultDetectConcurrency is how many series DetectAllAnomalies scores at once.
	DefaultDetectConcurrency = 4
	// DefaultAnomalyListLimit is the page size of Meter.Anomalies when none is given,
	// and MaxAnomalyListLimit the largest.
	DefaultAnomalyListLimit = 100
	MaxAnomalyListLimit     = 1000
	// MaxAnomalyNoteBytes is the longest note SetAnomalyStatus accepts.
	MaxAnomalyNoteBytes = 4096
)

// AnomalyStatus is where an anomaly record stands in its review.
type AnomalyStatus string

// The anomaly statuses. Detection stores records as AnomalyOpen; any status may
// follow any other, so a dismissed anomaly can be reopened.
const (
	AnomalyOpen          AnomalyStatus = store.AnomalyOpen
	AnomalyInvestigating AnomalyStatus = store.AnomalyInvestigating
	AnomalyConfirmed     AnomalyStatus = store.AnomalyConfirmed
	AnomalyDismissed     AnomalyStatus = store.AnomalyDismissed
)

// AnomalyMethod names what found an anomaly.
type AnomalyMethod string

const (
	// AnomalyMethodEnsemble is an alarm of anomaly.Ensemble on the hourly series: one
	// per incident, at the hour it starts. Value is the hour's usage and Expected the
	// median of the same hour (in the subject's time zone) on the seven days before
	// of the same kind, weekday or weekend when the ensemble keeps weekends apart
	// (anomaly.EnsembleConfig.Weekends), as it does by default.
	AnomalyMethodEnsemble AnomalyMethod = "ensemble"
	// AnomalyMethodBurst is a burst of events (see anomaly.Bursts): At is its first
	// event, Value the most events within one EventConfig.BurstWindow, Expected the
	// limit EventConfig.BurstEvents.
	AnomalyMethodBurst AnomalyMethod = "burst"
	// AnomalyMethodRegularity is a day (midnight to midnight in the subject's time
	// zone) of bot-like regular events (see anomaly.ArrivalCV): At is the day's
	// start, Value the coefficient of variation of the gaps between events, Expected
	// 1, that of people's (Poisson) arrivals. It is always a fraud suspect. A day is
	// not flagged when an earlier day within AnomalyHabitWindow was regular too: a
	// client reporting on a timer is not a new bot.
	AnomalyMethodRegularity AnomalyMethod = "regularity"
)

// Anomaly is a stored anomaly record: something unusual in a subject's usage of one
// metric, and its review.
type Anomaly struct {
	// ID identifies the record, for SetAnomalyStatus.
	ID      int64
	Subject string
	Metric  string
	// At is when the anomaly starts, in UTC.
	At time.Time
	// Method names what found it; it says what Value and Expected measure.
	Method AnomalyMethod
	// Value is what was observed and Expected what was usual (see AnomalyMethod).
	Value, Expected float64
	// Score is the anomaly score in [0, 1]. For AnomalyMethodEnsemble it is the
	// ensemble's calibrated score; for the event checks it is how far past its limit
	// the statistic went (1 − limit/Value for a burst, 1 − Value/MaxCV for
	// regularity).
	Score float64
	// Risk is a risk score from 0 to 100.
	Risk int
	// FraudSuspect flags usage that looks like abuse rather than a change of habits
	// (see anomaly.Assessment.FraudSuspect; always true for regularity).
	FraudSuspect bool
	// Reasons are the detectors that fired, strongest first. An infinite statistic
	// is kept as ±math.MaxFloat64.
	Reasons []anomaly.Reason
	// Status is the review status, and Note the text left with its latest change.
	Status AnomalyStatus
	Note   string
	// CreatedAt is when detection stored the record; UpdatedAt when its status last
	// changed (CreatedAt until then).
	CreatedAt, UpdatedAt time.Time
}

func anomalyFromStore(a store.Anomaly) Anomaly {
	var reasons []anomaly.Reason
	for _, r := range a.Reasons {
		reasons = append(reasons, anomaly.Reason{Detector: r.Detector, Stat: r.Stat, Value: r.Value})
	}
	return Anomaly{ID: a.ID, Subject: a.Subject, Metric: a.Metric, At: a.At,
		Method: AnomalyMethod(a.Method), Value: a.Value, Expected: a.Expected, Score: a.Score,
		Risk: a.Risk, FraudSuspect: a.FraudSuspect, Reasons: reasons,
		Status: AnomalyStatus(a.Status), Note: a.Note, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}
