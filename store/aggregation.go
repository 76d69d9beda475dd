package store

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
