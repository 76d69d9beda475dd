package usage

// Metric keys of the example catalog.
const (
	MetricDocuments = "documents"
	MetricAPICalls  = "api_calls"
	MetricStorageGB = "storage_gb"
	MetricUsers     = "users"
)

// ExampleMetrics returns the metrics of the example catalog: documents processed and
// API calls (flows, summed), storage in GB (a gauge, its peak in the period) and users
// (seats, distinct users in the period).
func ExampleMetrics() []Metric {
	return []Metric{
		{Key: MetricDocuments, Unit: "documents", Aggregation: AggregationSum},
		{Key: MetricAPICalls, Unit: "calls", Aggregation: AggregationSum},
		{Key: MetricStorageGB, Unit: "GB", Aggregation: AggregationMax},
		{Key: MetricUsers, Unit: "users", Aggregation: AggregationUniqueCount},
	}
}

// ExamplePlans returns the example catalog's Basic, Professional and Enterprise plans,
// with monthly limits of documents 100 / 500 / 5,000, API calls 1,000 / 10,000 /
// 100,000, storage 5 / 50 / 500 GB and users 3 / 10 / 100. Overage is allowed for
// every metric except users on Basic. It is an example to start from, not built in.
func ExamplePlans() []Plan {
	return []Plan{
		{Key: "basic", Name: "Basic", Limits: map[string]Limit{
			MetricDocuments: {Included: 100, Overage: true},
			MetricAPICalls:  {Included: 1_000, Overage: true},
			MetricStorageGB: {Included: 5, Overage: true},
			MetricUsers:     {Included: 3, Overage: false},
		}},
		{Key: "professional", Name: "Professional", Limits: map[string]Limit{
			MetricDocuments: {Included: 500, Overage: true},
			MetricAPICalls:  {Included: 10_000, Overage: true},
			MetricStorageGB: {Included: 50, Overage: true},
			MetricUsers:     {Included: 10, Overage: true},
		}},
		{Key: "enterprise", Name: "Enterprise", Limits: map[string]Limit{
			MetricDocuments: {Included: 5_000, Overage: true},
			MetricAPICalls:  {Included: 100_000, Overage: true},
			MetricStorageGB: {Included: 500, Overage: true},
			MetricUsers:     {Included: 100, Overage: true},
		}},
	}
}
