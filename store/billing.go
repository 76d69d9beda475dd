package store

import (
	"context"
	"errors"
	"time"
)

// ErrVoided is returned (possibly wrapped) by CorrectEvent for an event that an
// earlier correction voided: a voided event cannot be corrected again.
var ErrVoided = errors.New("event already voided")

// QuotaLimit is what a plan allows for one metric: a quota row's limit before
// grants.
type QuotaLimit struct {
	// Limit in micro-units, ignored when Unlimited.
	Limit        int64
	Unlimited    bool
	AllowOverage bool
}

// ChangePlanParams are the arguments of Store.ChangePlan.
type ChangePlanParams struct {
	// Subject is the new assignment, stored as PutSubject would.
	Subject Subject
	// At is when the change takes effect: the plan history records it, and the quota
	// rows whose period contains At take the new limits.
	At time.Time
	// Limits are the new plan's limits by metric. Quota rows of metrics not listed
	// keep theirs.
	Limits map[string]QuotaLimit
}

// ChangePlanResult is the result of Store.ChangePlan.
type ChangePlanResult struct {
	// Quotas are the quota rows of the current period after the change.
	Quotas []Quota
}

// AdjustmentKind names an administrative change of a quota.
type AdjustmentKind string

// The administrative changes of a quota.
const (
	// AdjustmentGrant adds units to the period's limit (a top-up).
	AdjustmentGrant AdjustmentKind = "grant"
	// AdjustmentReset grants what is used beyond earlier grants, so the remaining
	// amount is back to at least the plan's limit.
	AdjustmentReset AdjustmentKind = "reset"
)

// Adjustment is a recorded administrative change of one quota row.
type Adjustment struct {
	ID          int64
	Subject     string
	Metric      string
	PeriodStart time.Time
	Kind        AdjustmentKind
	// Amount is what was added to the limit, in micro-units (for a reset, what the
	// reset granted, possibly zero).
	Amount    int64
	Reason    string
	Actor     string
	CreatedAt time.Time
}

// AdjustQuotaParams are the arguments of Store.AdjustQuota.
type AdjustQuotaParams struct {
	Subject string
	Metric  string
	// Quota creates the period's quota row when it has none yet, as in Ingest.
	Quota QuotaSpec
	Kind  AdjustmentKind
	// Amount is the units a grant adds, in micro-units; positive. Ignored by a reset.
	Amount int64
	Reason string
	Actor  string
	Now    time.Time
}

// AdjustQuotaResult is the result of Store.AdjustQuota.
type AdjustQuotaResult struct {
	Adjustment Adjustment
	// Quota is the quota row after the change.
	Quota Quota
}

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

// BillPeriod names a bill: one subject's billing period.
type BillPeriod struct {
	Subject                string
	PeriodStart, PeriodEnd time.Time
}

// BillLine is what a bill charged for one metric and one usage period: the bill's
// own period, or an earlier one for an adjustment.
type BillLine struct {
	Metric           string
	UsagePeriodStart time.Time
	// Used is the usage billed by this line in micro-units: the period's usage for a
	// bill's own line, the change since the last bill for an adjustment.
	Used int64
	// Amount is the line's exact decimal amount, such as "21.95" or "-0.40".
	Amount   string
	Currency string
}

// PeriodUsage is one period's usage of a subject as a bill needs it.
type PeriodUsage struct {
	PeriodStart, PeriodEnd time.Time
	// Plan is the key of the plan in force at PeriodEnd by the plan history kept by
	// ChangePlan; empty when the history has none (subjects on a default or resolved
	// plan).
	Plan string
	// Quotas are the period's quota rows.
	Quotas []Quota
	// Granted is the sum of grants and resets by metric, in micro-units.
	Granted map[string]int64
	// Billed are the lines already billed for this period's usage, by any bill.
	Billed []BillLine
}

// Bill is a closed bill.
type Bill struct {
	BillPeriod
	ClosedAt time.Time
	// Document is the bill as delivered, in the caller's encoding.
	Document []byte
	Lines    []BillLine
}

// BillData is what a bill is made from.
type BillData struct {
	// Usage is the bill's own period.
	Usage PeriodUsage
	// Earlier are earlier periods of the subject that were billed and whose quota
	// rows changed since (late events, corrections, grants): their differences are
	// billed as adjustments.
	Earlier []PeriodUsage
	// Closed is the closed bill of the period; nil while it is open.
	Closed *Bill
}

// GetBillParams are the arguments of Store.GetBill.
type GetBillParams struct {
	Period BillPeriod
}

// GetBillResult is the result of Store.GetBill.
type GetBillResult struct {
	Data BillData
}

// ListUnbilledParams are the arguments of Store.ListUnbilled.
type ListUnbilledParams struct {
	// EndedBy selects periods that ended at or before it.
	EndedBy time.Time
	// Limit caps the number of periods; 0 means 1000.
	Limit int
}

// ListUnbilledResult is the result of Store.ListUnbilled.
type ListUnbilledResult struct {
	// Periods are periods with quota rows and no closed bill, oldest end first.
	Periods []BillPeriod
}

// ClosedBill is what CloseBillParams.Deliver returns: the bill to record.
type ClosedBill struct {
	Document []byte
	Lines    []BillLine
}

// CloseBillParams are the arguments of Store.CloseBill.
type CloseBillParams struct {
	Period BillPeriod
	Now    time.Time
	// Deliver makes the bill from data and hands it over, inside the transaction that
	// claims the bill; an error rolls the claim back. It runs again if the
	// transaction is retried.
	Deliver func(ctx context.Context, data *BillData) (*ClosedBill, error)
}

// CloseBillResult is the result of Store.CloseBill.
type CloseBillResult struct {
	// Closed is true when this call closed the bill, false when it was closed
	// already (Deliver was not called).
	Closed bool
	Bill   *Bill
}
