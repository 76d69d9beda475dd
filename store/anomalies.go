package store

import "time"

// The statuses of an anomaly record. Detection stores records as open; people move
// them on as they look into them.
const (
	AnomalyOpen          = "open"
	AnomalyInvestigating = "investigating"
	AnomalyConfirmed     = "confirmed"
	AnomalyDismissed     = "dismissed"
)

// ValidAnomalyStatus reports whether s is one of the anomaly statuses.
func ValidAnomalyStatus(s string) bool {
	switch s {
	case AnomalyOpen, AnomalyInvestigating, AnomalyConfirmed, AnomalyDismissed:
		return true
	}
	return false
}

// Anomaly is a stored anomaly record: something unusual found in a subject's usage
// of one metric. Subject, Metric, At and Method identify it: a record with the same
// four is stored once.
type Anomaly struct {
	// ID is assigned by the backend.
	ID      int64
	Subject string
	Metric  string
	// At is when the anomaly starts (an hour's start for hourly detection).
	At time.Time
	// Method names what found it.
	Method string
	// Value is what was observed and Expected what was usual, in the method's units.
	Value, Expected float64
	// Score is the anomaly score in [0, 1]; Risk a risk score from 0 to 100.
	Score float64
	Risk  int
	// FraudSuspect flags usage that looks like abuse rather than a change of habit.
	FraudSuspect bool
	// Reasons are the detectors that fired, strongest first.
	Reasons []AnomalyReason
	// Status is one of AnomalyOpen, AnomalyInvestigating, AnomalyConfirmed and
	// AnomalyDismissed; Note is free text left with the latest status change.
	Status string
	Note   string
	// CreatedAt is when the record was stored and UpdatedAt when its status last
	// changed.
	CreatedAt, UpdatedAt time.Time
}

// AnomalyReason is one detector that fired, with its statistic and its score.
type AnomalyReason struct {
	Detector string  `json:"detector"`
	Stat     float64 `json:"stat"`
	Value    float64 `json:"value"`
}

// InsertAnomaliesParams are the arguments of Store.InsertAnomalies.
type InsertAnomaliesParams struct {
	// Anomalies are stored in this order; their ID is ignored. Status must be valid.
	Anomalies []Anomaly
}

// InsertAnomaliesResult is the result of Store.InsertAnomalies.
type InsertAnomaliesResult struct {
	// Inserted are the anomalies that were new, with their ID, in the order given.
	Inserted []Anomaly
}

// ListAnomaliesParams are the arguments of Store.ListAnomalies. Empty fields do not
// filter.
type ListAnomaliesParams struct {
	Subject string
	Metric  string
	Method  string
	Status  string
	// From and To bound At to [From, To); a zero time leaves that side open.
	From, To time.Time
	// AfterID lists anomalies with a greater ID, for paging.
	AfterID int64
	// Limit caps the number of anomalies; 0 means 1000.
	Limit int
}

// ListAnomaliesResult is the result of Store.ListAnomalies.
type ListAnomaliesResult struct {
	// Anomalies are ordered by ID.
	Anomalies []Anomaly
}

// SetAnomalyStatusParams are the arguments of Store.SetAnomalyStatus.
type SetAnomalyStatusParams struct {
	ID     int64
	Status string
	Note   string
	// Now is recorded as the anomaly's UpdatedAt.
	Now time.Time
}

// SetAnomalyStatusResult is the result of Store.SetAnomalyStatus.
type SetAnomalyStatusResult struct {
	// Anomaly is the record after the change.
	Anomaly Anomaly
}
