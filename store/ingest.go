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
	// StatusOverflow means the event would have taken its quota's usage or total
	// past the int64 range (ErrOverflow); nothing was stored. The batch's other
	// events are unaffected.
	StatusOverflow
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
	case StatusOverflow:
		return "overflow"
	default:
		return "unknown"
	}
}

// IngestEvent is one event to store, with the quota it counts against.
type IngestEvent struct {
	Event Event
	Quota QuotaSpec
	// Dimensions are the event's values of its metric's declared dimensions, kept
	// in its hourly rollups beside the total over all values; none for a metric
	// that declares none.
	Dimensions Dimensions
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
