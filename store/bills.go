package store

import (
	"context"
	"time"
)

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
