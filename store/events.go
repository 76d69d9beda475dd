package store

import "time"

// Event is one usage event as stored.
type Event struct {
	// Seq is the storage sequence number, assigned by the backend, increasing.
	Seq int64
	// Subject is the tenant the usage belongs to.
	Subject string
	// ID is the idempotency key, unique per subject.
	ID string
	// User optionally names the user within the subject.
	User string
	// Metric is the metric key.
	Metric string
	// Value is the quantity in micro-units.
	Value int64
	// Time is when the usage happened.
	Time time.Time
	// Properties are the event's dimensions.
	Properties map[string]string
	// Fingerprint identifies the payload, to tell a replay from a conflict.
	Fingerprint string
	// PeriodStart is the start of the billing period the event counts in.
	PeriodStart time.Time
	// UsedAfter is the quota usage, in micro-units, right after this event was
	// admitted; a replay returns it unchanged.
	UsedAfter int64
	// CreatedAt is when the event was stored.
	CreatedAt time.Time
}

// ListEventsParams are the arguments of Store.ListEvents.
type ListEventsParams struct {
	Subject string
	// AfterSeq lists events with a greater sequence number.
	AfterSeq int64
	// Limit caps the number of events; 0 means 1000.
	Limit int
}

// ListEventsResult is the result of Store.ListEvents.
type ListEventsResult struct {
	Events []Event
}

// ListEventTimesParams are the arguments of Store.ListEventTimes.
type ListEventTimesParams struct {
	Subject string
	Metric  string
	// From and To bound the events' times to [From, To).
	From, To time.Time
	// Limit caps the number of times, keeping the latest; 0 means 1000.
	Limit int
}

// ListEventTimesResult is the result of Store.ListEventTimes.
type ListEventTimesResult struct {
	// Times are the events' times, oldest first.
	Times []time.Time
}
