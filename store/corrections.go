package store

import "time"

// CorrectionKind names a correction of an event.
type CorrectionKind string

// The corrections.
const (
	// CorrectionVoid takes an event out of usage, as if it had never been tracked.
	CorrectionVoid CorrectionKind = "void"
	// CorrectionAmend replaces an event's value.
	CorrectionAmend CorrectionKind = "amend"
)

// Correction is a compensating entry: it voids or amends a stored event, which
// itself never changes.
type Correction struct {
	// Seq is the correction's storage sequence number.
	Seq int64
	// ID is the correction's idempotency key, unique per subject.
	ID      string
	Subject string
	// EventID names the corrected event.
	EventID     string
	Metric      string
	PeriodStart time.Time
	Kind        CorrectionKind
	// OldValue and NewValue are the event's effective value before and after, in
	// micro-units; NewValue is zero for a void.
	OldValue, NewValue int64
	Reason             string
	Actor              string
	CreatedAt          time.Time
}

// CorrectEventParams are the arguments of Store.CorrectEvent.
type CorrectEventParams struct {
	// Correction is the correction to store; Seq, Metric, PeriodStart, OldValue and
	// CreatedAt are set by the backend, NewValue by Check for an amend.
	Correction Correction
	// Check is called, inside the transaction, with the event to correct. It
	// validates the correction for the event's metric and returns the event's new
	// value (ignored by a void) and the name of the property whose distinct values a
	// unique_count quota counts ("" for the event's user).
	Check func(ev Event) (newValue int64, distinctProperty string, err error)
	Now   time.Time
}

// CorrectEventResult is the result of Store.CorrectEvent.
type CorrectEventResult struct {
	// Correction is the stored correction: the new one, or the one stored first
	// under the same ID when Replayed.
	Correction Correction
	Replayed   bool
	// Refused is true when the correction would take a quota without overage past
	// its limit; nothing was stored.
	Refused bool
	// Quota is the event's quota row after the correction (before, when Refused).
	Quota Quota
	// UsedBefore is the quota's usage before the correction.
	UsedBefore int64
}

// ListCorrectionsParams are the arguments of Store.ListCorrections.
type ListCorrectionsParams struct {
	Subject string
	// AfterSeq lists corrections with a greater sequence number.
	AfterSeq int64
	// Limit caps the number of corrections; 0 means 1000.
	Limit int
}

// ListCorrectionsResult is the result of Store.ListCorrections.
type ListCorrectionsResult struct {
	Corrections []Correction
}
