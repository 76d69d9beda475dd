package store

import "time"

// The kinds of alert.
const (
	// AlertThreshold: a quota's usage reached a threshold (a share of its limit).
	AlertThreshold = "threshold"
	// AlertRefusal: an event was refused at a limit without overage.
	AlertRefusal = "refusal"
	// AlertForecast: the quota is projected to pass its limit within the period.
	AlertForecast = "forecast"
	// AlertFraudSuspect: anomaly detection flagged the subject's usage as a
	// suspected abuse.
	AlertFraudSuspect = "fraud_suspect"
)

// The severities of an alert, in rising order.
const (
	SeverityInfo     = "info"
	SeverityWarning  = "warning"
	SeverityHigh     = "high"
	SeverityCritical = "critical"
)

// ValidSeverity reports whether s is one of the severities.
func ValidSeverity(s string) bool {
	switch s {
	case SeverityInfo, SeverityWarning, SeverityHigh, SeverityCritical:
		return true
	}
	return false
}

// BasisPointsPerUnit is the threshold of a limit's whole: thresholds are kept in
// basis points of the limit, 10,000 being 100 %.
const BasisPointsPerUnit = 10_000

// AlertLevel is one threshold of a quota: an alert of Severity is raised when a
// batch takes usage from below Threshold basis points of the limit to at or above it.
type AlertLevel struct {
	Threshold int64
	Severity  string
}

// Alert is a stored alert. Kind, Subject, Metric, Threshold, PeriodStart and Ref
// identify it among the armed alerts: one such alert is stored however many
// batches, processes or retries raise it. Rearming (see CorrectEvent and
// AdjustQuota) sets Arm, so that the same alert can be raised again.
type Alert struct {
	// ID is assigned by the backend, in the order alerts are stored.
	ID       int64
	Kind     string
	Severity string
	Subject  string
	Metric   string
	// Threshold is in basis points of the limit for threshold alerts, 0 for others.
	Threshold int64
	// Ref tells apart alerts of one kind in one period: the anomaly's ID for a fraud
	// suspect, 0 for the others.
	Ref int64
	// Arm is 0 while the alert holds its key; rearming sets it to the alert's ID.
	Arm int64
	// Used and Limit are the quota's usage and limit in micro-units when the alert
	// was raised.
	Used, Limit            int64
	PeriodStart, PeriodEnd time.Time
	// Message is for people. Ingest leaves it empty: the caller writes one from the
	// other fields, in the metric's units.
	Message   string
	CreatedAt time.Time
	// AcknowledgedAt is zero until someone acknowledges the alert; AcknowledgedBy
	// says who.
	AcknowledgedAt time.Time
	AcknowledgedBy string
	// Delivery is the state of the alert's notification.
	Delivery Delivery
}

// The states of a delivery.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// Delivery is the outbox row of an alert's notification, stored with the alert.
type Delivery struct {
	// ID is stable across attempts: receivers deduplicate by it.
	ID    int64
	State string
	// Attempts counts the claims so far; a claim's attempt number is its token.
	Attempts int
	// NextAt is when the delivery is next due; while claimed, when the claim's lease
	// ends.
	NextAt time.Time
	// DeliveredTo lists the notifiers that have taken it, so a retry skips them.
	DeliveredTo []string
	// LastError is the latest attempt's failure.
	LastError string
	UpdatedAt time.Time
}

// InsertAlertsParams are the arguments of Store.InsertAlerts.
type InsertAlertsParams struct {
	// Alerts to store, each with a pending delivery; ID, Arm, acknowledgement and
	// Delivery are ignored.
	Alerts []Alert
	// Now is when they are stored and their deliveries first due.
	Now time.Time
}

// InsertAlertsResult is the result of Store.InsertAlerts.
type InsertAlertsResult struct {
	// Inserted are the alerts that were new, with their IDs.
	Inserted []Alert
}

// ListAlertsParams are the arguments of Store.ListAlerts. Empty filters match all.
type ListAlertsParams struct {
	Subject, Metric, Kind, Severity string
	// Acknowledged filters on whether an alert is acknowledged: nil matches both.
	Acknowledged *bool
	// From and To bound CreatedAt to [From, To); zero means unbounded.
	From, To time.Time
	// BeforeID is the cursor: only alerts with a smaller ID (0: from the newest).
	BeforeID int64
	// Limit is the page size; 0 means the backend's default.
	Limit int
}

// ListAlertsResult is the result of Store.ListAlerts.
type ListAlertsResult struct {
	// Alerts are newest first (by ID).
	Alerts []Alert
}

// AcknowledgeAlertParams are the arguments of Store.AcknowledgeAlert.
type AcknowledgeAlertParams struct {
	ID int64
	// Subject, when set, must be the alert's: an alert of another subject is not
	// found.
	Subject string
	By      string
	At      time.Time
}

// AcknowledgeAlertResult is the result of Store.AcknowledgeAlert.
type AcknowledgeAlertResult struct {
	// Alert is the alert as acknowledged: by the first acknowledgement, which a
	// later one does not change.
	Alert Alert
}

// CountUnacknowledgedAlertsParams are the arguments of
// Store.CountUnacknowledgedAlerts.
type CountUnacknowledgedAlertsParams struct {
	Subject string
}

// CountUnacknowledgedAlertsResult is the result of Store.CountUnacknowledgedAlerts.
type CountUnacknowledgedAlertsResult struct {
	Count int64
}

// ClaimDeliveriesParams are the arguments of Store.ClaimDeliveries.
type ClaimDeliveriesParams struct {
	// Now is the claimer's time: deliveries pending with NextAt at or before it are
	// due.
	Now time.Time
	// Lease is how long the claim holds: until Now+Lease no other claim takes the
	// delivery, after it the delivery is due again (its claimer died or is late).
	Lease time.Duration
	// Limit is the most deliveries to claim.
	Limit int
}

// ClaimDeliveriesResult is the result of Store.ClaimDeliveries.
type ClaimDeliveriesResult struct {
	// Alerts are the claimed deliveries' alerts, oldest due first; each Delivery's
	// Attempts is the claim's token for CompleteDelivery.
	Alerts []Alert
}

// CompleteDeliveryParams are the arguments of Store.CompleteDelivery.
type CompleteDeliveryParams struct {
	// ID and Attempt name the claim.
	ID      int64
	Attempt int
	// State is DeliveryDelivered, DeliveryFailed (given up) or DeliveryPending (to
	// try again at NextAt).
	State       string
	NextAt      time.Time
	DeliveredTo []string
	Error       string
	Now         time.Time
}

// CompleteDeliveryResult is the result of Store.CompleteDelivery.
type CompleteDeliveryResult struct {
	// Completed is false when the claim had expired and another took the delivery:
	// nothing was changed.
	Completed bool
}
