package store

import (
	"fmt"
	"time"
)

// Aggregation says how a metric's events make up its usage in a period.
type Aggregation string

// The aggregations. Sum and count describe flows and start from zero each period;
// max, min and latest describe a level (a gauge); avg is the mean of the period's
// values; unique_count counts distinct values (seats).
const (
	AggregationSum         Aggregation = "sum"
	AggregationCount       Aggregation = "count"
	AggregationMax         Aggregation = "max"
	AggregationMin         Aggregation = "min"
	AggregationAvg         Aggregation = "avg"
	AggregationLatest      Aggregation = "latest"
	AggregationUniqueCount Aggregation = "unique_count"
)

// Valid reports whether a is one of the known aggregations.
func (a Aggregation) Valid() bool {
	switch a {
	case AggregationSum, AggregationCount, AggregationMax, AggregationMin,
		AggregationAvg, AggregationLatest, AggregationUniqueCount:
		return true
	}
	return false
}

// Apply returns the quota with one event of value (micro-units) at time at applied.
// newDistinct tells a unique_count quota whether the event's distinct value is new in
// the period. It fails with ErrOverflow rather than wrap around.
func (q Quota) Apply(value int64, at time.Time, newDistinct bool) (Quota, error) {
	total, ok := addInt64(q.Total, value)
	if !ok {
		return q, ErrOverflow
	}
	next := q
	next.Count = q.Count + 1
	next.Total = total
	first := q.Count == 0
	switch q.Aggregation {
	case AggregationSum:
		next.Used = total
	case AggregationCount:
		next.Used = next.Count * MicrosPerUnit
	case AggregationMax:
		if first || value > q.Used {
			next.Used = value
		}
	case AggregationMin:
		if first || value < q.Used {
			next.Used = value
		}
	case AggregationAvg:
		next.Used = total / next.Count
	case AggregationLatest:
		// The latest by event time wins, so a late event does not replace a newer one.
		if first || !at.Before(q.LastAt) {
			next.Used = value
		}
	case AggregationUniqueCount:
		if newDistinct {
			next.Used = q.Used + MicrosPerUnit
		}
	default:
		return q, fmt.Errorf("unknown aggregation %q", q.Aggregation)
	}
	if first || at.After(q.LastAt) {
		next.LastAt = at
	}
	return next, nil
}

// Refuses reports whether going from usage before to the quota's usage q.Used must be
// refused: the quota has a limit without overage, and the event raises usage above
// that limit. An event that lowers usage, or leaves it unchanged, is never refused,
// even above a limit that was lowered mid-period.
func (q Quota) Refuses(before int64) bool {
	return !q.Unlimited && !q.AllowOverage && q.Used > q.Limit && q.Used > before
}

func addInt64(a, b int64) (int64, bool) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, false
	}
	return s, true
}
