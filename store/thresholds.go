package store

import "time"

// SubjectThresholds are a subject's own alert thresholds for one metric, which
// replace its plan's.
type SubjectThresholds struct {
	Subject string
	Metric  string
	// Levels are in rising order; empty means no threshold alerts for the metric.
	Levels    []AlertLevel
	UpdatedAt time.Time
}

// SetThresholdsParams are the arguments of Store.SetThresholds.
type SetThresholdsParams struct {
	Subject, Metric string
	// Levels replace the subject's thresholds for the metric; with Remove, the
	// subject's own thresholds are deleted and its plan's apply again.
	Levels []AlertLevel
	Remove bool
	Now    time.Time
}

// SetThresholdsResult is the result of Store.SetThresholds.
type SetThresholdsResult struct{}

// ListThresholdsParams are the arguments of Store.ListThresholds.
type ListThresholdsParams struct {
	// Subject selects one subject's thresholds; empty selects every subject's.
	Subject string
}

// ListThresholdsResult is the result of Store.ListThresholds.
type ListThresholdsResult struct {
	// Thresholds are ordered by subject, then metric.
	Thresholds []SubjectThresholds
}
