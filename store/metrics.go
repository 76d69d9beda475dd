package store

// MetricScale is how a metric's quantities are stored: as integers of the metric's
// units times 10^Scale. Scale 6 (micro-units, MicrosPerUnit) keeps six fractional
// digits; scale 0 stores whole units, for metrics such as bytes whose totals pass
// what micro-units hold.
type MetricScale struct {
	Metric string
	Scale  int
}

// RegisterMetricsParams are the arguments of Store.RegisterMetrics.
type RegisterMetricsParams struct {
	// Metrics are the metrics of the caller's configuration and their scales.
	Metrics []MetricScale
}

// RegisterMetricsResult is the result of Store.RegisterMetrics.
type RegisterMetricsResult struct {
	// Stored holds, for each metric of the params in order, the scale the database
	// keeps for it: the one registered first, which may differ from the one asked for.
	Stored []MetricScale
}
