package store

import (
	"fmt"
	"time"
)

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

// Apply returns the quota with one event of value (micro-units) at time at applied.
// newDistinct tells a unique_count quota whether the event's distinct value is new in
// the period. It fails with ErrOverflow rather than wrap around.
func (q Quota) Apply(value int64, at time.Time, newDistinct bool) (Quota, error) {
	used, err := q.UsedAfter(value, at, newDistinct)
	if err != nil {
		return q, err
	}
	next := q
	next.Count = q.Count + 1
	next.Total = q.Total + value // UsedAfter checked that it does not overflow
	next.Used = used
	if q.Count == 0 || at.After(q.LastAt) {
		next.LastAt = at
	}
	return next, nil
}

// UsedAfter returns the usage Apply would leave, without copying the quota: a
// quota check asks it of every request.
func (q *Quota) UsedAfter(value int64, at time.Time, newDistinct bool) (int64, error) {
	total, ok := AddQuantities(q.Total, value)
	if !ok {
		return q.Used, ErrOverflow
	}
	first := q.Count == 0
	switch q.Aggregation {
	case AggregationSum:
		return total, nil
	case AggregationCount:
		return (q.Count + 1) * MicrosPerUnit, nil
	case AggregationMax:
		if first || value > q.Used {
			return value, nil
		}
	case AggregationMin:
		if first || value < q.Used {
			return value, nil
		}
	case AggregationAvg:
		return total / (q.Count + 1), nil
	case AggregationLatest:
		// The latest by event time wins, so a late event does not replace a newer one.
		if first || !at.Before(q.LastAt) {
			return value, nil
		}
	case AggregationUniqueCount:
		if newDistinct {
			return q.Used + MicrosPerUnit, nil
		}
	default:
		return q.Used, fmt.Errorf("unknown aggregation %q", q.Aggregation)
	}
	return q.Used, nil
}

// Refuses reports whether going from usage before to the quota's usage q.Used must be
// refused: the quota has a limit without overage, and the event raises usage above
// that limit. An event that lowers usage, or leaves it unchanged, is never refused,
// even above a limit that was lowered mid-period.
func (q Quota) Refuses(before int64) bool { return q.RefusesChange(before, q.Used) }

// RefusesChange is Refuses for a change of usage from before to after under q's
// limit, q.Used aside.
func (q *Quota) RefusesChange(before, after int64) bool {
	return !q.Unlimited && !q.AllowOverage && after > q.Limit && after > before
}

// AddQuantities returns a+b, or false when the sum leaves the int64 range: stored
// quantities fail with ErrOverflow rather than wrap around.
func AddQuantities(a, b int64) (int64, bool) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, false
	}
	return s, true
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
	// Alerts are the thresholds of the quota's alerts, in rising order; the caller
	// may share one slice among many events. Ingest raises a threshold alert when
	// a batch takes usage from below a level to at or above it, and a refusal alert
	// when it refuses an event, each once per period (see Alert), in the batch's
	// transaction and with a pending delivery. Empty means no alerts, as does
	// Unlimited.
	Alerts []AlertLevel
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

// QuotaCursor is where a page of ListMetricQuotas ends: the last row's usage (when
// ordered by usage) and subject.
type QuotaCursor struct {
	Used    int64
	Subject string
}

// ListMetricQuotasParams are the arguments of Store.ListMetricQuotas.
type ListMetricQuotasParams struct {
	Metric string
	// At selects, for every subject, its quota row whose [PeriodStart, PeriodEnd)
	// contains At.
	At time.Time
	// ByUsage orders the rows by usage, highest first, then by subject; otherwise
	// they are ordered by subject.
	ByUsage bool
	// OverLimit keeps only the rows whose usage is above a limit (not Unlimited).
	OverLimit bool
	// After lists the rows after this one in the order asked for; nil starts from
	// the first.
	After *QuotaCursor
	// Limit caps the number of rows; 0 means 1000.
	Limit int
}

// ListMetricQuotasResult is the result of Store.ListMetricQuotas.
type ListMetricQuotasResult struct {
	Quotas []Quota
}
