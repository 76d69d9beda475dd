package store

import "time"

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
	// Subject is the new assignment; it replaces the subject's current one.
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
