package store

import "time"

// Status is the outcome of one event in Ingest.
type Status int

const (
	// StatusInserted means the event was new and is now stored.
	StatusInserted Status = iota + 1
	// StatusDuplicate means an identical event (same subject, ID and fingerprint) was
	// already stored; nothing changed and the outcome is the original one.
	StatusDuplicate
	// StatusConflict means an event with the same subject and ID but another
	// fingerprint is stored; nothing changed.
	StatusConflict
	// StatusQuotaExceeded means the event would have taken a quota without overage
	// past its limit; nothing was stored.
	StatusQuotaExceeded
)

// String returns the status name.
func (s Status) String() string {
	switch s {
	case StatusInserted:
		return "inserted"
	case StatusDuplicate:
		return "duplicate"
	case StatusConflict:
		return "conflict"
	case StatusQuotaExceeded:
		return "quota_exceeded"
	default:
		return "unknown"
	}
}

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

// QuotaSpec says which quota row an event counts against and how: the row is created
// from it when the period has none yet; an existing row keeps its own limit.
type QuotaSpec struct {
	// PeriodStart and PeriodEnd bound the billing period, [start, end).
	PeriodStart, PeriodEnd time.Time
	// Aggregation is how events make up usage (sum, count, max, min, avg, latest,
	// unique_count).
	Aggregation Aggregation
	// Limit is the limit in micro-units, ignored when Unlimited.
	Limit int64
	// Unlimited means the quota has no limit: usage is metered, never refused.
	Unlimited bool
	// AllowOverage means usage may pass the limit (and is billed); otherwise an event
	// that would pass it is refused.
	AllowOverage bool
	// Distinct is the value a unique_count quota counts once per period (for seats:
	// the user). Ignored by other aggregations.
	Distinct string
}

// IngestEvent is one event to store, with the quota it counts against.
type IngestEvent struct {
	Event Event
	Quota QuotaSpec
}

// IngestParams are the arguments of Store.Ingest.
type IngestParams struct {
	// Events are stored in this order. PeriodStart, UsedAfter and CreatedAt of each
	// Event are set by the backend, and Seq as it writes the row.
	Events []IngestEvent
	// Now is the time recorded as CreatedAt and UpdatedAt.
	Now time.Time
}

// Outcome is what became of one event in Ingest.
type Outcome struct {
	Status Status
	// Stored is, for a duplicate or conflict, the event stored before; nil
	// otherwise. A new event is stored as it was given, with PeriodStart from its
	// quota, UsedAfter below and CreatedAt from IngestParams.Now; its Seq is not
	// read back (backends write a batch's rows in bulk), but ListEvents has it.
	// An outcome does not repeat the event it answers for: Ingest answers for
	// every event, and copies of them all would be garbage for the host to collect.
	Stored *Event
	// UsedBefore and UsedAfter are the quota usage in micro-units around this event;
	// equal when the event changed nothing. For a duplicate both are the original
	// UsedAfter. When refused, UsedAfter is what usage would have become.
	UsedBefore, UsedAfter int64
	// Limit is the limit, in micro-units, of the quota row the event counts against.
	Limit int64
}

// IngestResult is the result of Store.Ingest.
type IngestResult struct {
	// Outcomes has one outcome per event, in order.
	Outcomes []Outcome
	// Quotas are the rows of the quotas the events count against, as Ingest left
	// them. They were locked while it ran, so they hold every write committed before
	// it, by any process.
	Quotas []Quota
}

// Quota is the usage of one subject and metric in one billing period.
type Quota struct {
	Subject     string
	Metric      string
	PeriodStart time.Time
	PeriodEnd   time.Time
	Aggregation Aggregation
	// Limit in micro-units; meaningless when Unlimited.
	Limit        int64
	Unlimited    bool
	AllowOverage bool
	// Used is the usage in micro-units under the quota's aggregation.
	Used int64
	// Count is the number of events applied.
	Count int64
	// Total is the sum of applied values in micro-units (for avg).
	Total int64
	// LastAt is the time of the latest applied event (for latest).
	LastAt    time.Time
	UpdatedAt time.Time
}

// GetQuotasParams are the arguments of Store.GetQuotas.
type GetQuotasParams struct {
	Subject string
	// Metrics restricts the result; empty means all.
	Metrics []string
	// At selects the period: rows whose [PeriodStart, PeriodEnd) contains At.
	At time.Time
}

// GetQuotasResult is the result of Store.GetQuotas.
type GetQuotasResult struct {
	Quotas []Quota
}

// Subject is a subject's plan assignment.
type Subject struct {
	Subject string
	// Plan is the key of the assigned plan.
	Plan string
	// Anchor is the start of the subscription; anchored periods repeat from it.
	Anchor time.Time
	// Cycle names how billing periods are laid out ("calendar" or "anniversary").
	Cycle string
	// TimeZone is an IANA zone name, such as "Europe/Lisbon".
	TimeZone  string
	UpdatedAt time.Time
}

// PutSubjectParams are the arguments of Store.PutSubject.
type PutSubjectParams struct {
	Subject Subject
}

// PutSubjectResult is the result of Store.PutSubject.
type PutSubjectResult struct {
	Subject Subject
}

// GetSubjectParams are the arguments of Store.GetSubject.
type GetSubjectParams struct {
	Subject string
}

// GetSubjectResult is the result of Store.GetSubject.
type GetSubjectResult struct {
	Subject Subject
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

// SeriesParams are the arguments of Store.Series.
type SeriesParams struct {
	Subject  string
	Metric   string
	From, To time.Time
}

// Bucket is the rollup of the events of one subject and metric in one hour (UTC
// hours: Start is a whole hour since the Unix epoch).
type Bucket struct {
	Start time.Time
	// Total is the sum of the values in micro-units; Count the number of events; Min
	// and Max the extreme values in micro-units.
	Total, Count, Min, Max int64
}

// SeriesResult is the result of Store.Series.
type SeriesResult struct {
	Buckets []Bucket
}
