package usage

import "github.com/shopspring/decimal"

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
// 100,000, storage 5 / 50 / 500 GB and users 3 / 10 / 100, and overage prices in
// euros of documents €0.50 / €0.40 / €0.30 each, API calls €0.01 / €0.008 / €0.005
// per started package of 10, storage €2.00 / €1.50 / €1.00 per GB (fractions pro
// rata) and users €5.00 / €4.00 each on Professional / Enterprise. Basic allows no
// users beyond its 3. It is an example to start from, not built in.
func ExamplePlans() []Plan {
	eur := decimal.New // eur(8, -3) is €0.008
	return []Plan{
		{Key: "basic", Name: "Basic", Limits: map[string]Limit{
			MetricDocuments: {Included: 100, Overage: true, Price: PerUnit(eur(50, -2))},
			MetricAPICalls:  {Included: 1_000, Overage: true, Price: PerPackage(eur(1, -2), 10)},
			MetricStorageGB: {Included: 5, Overage: true, Price: PerUnit(eur(200, -2))},
			MetricUsers:     {Included: 3, Overage: false},
		}},
		{Key: "professional", Name: "Professional", Limits: map[string]Limit{
			MetricDocuments: {Included: 500, Overage: true, Price: PerUnit(eur(40, -2))},
			MetricAPICalls:  {Included: 10_000, Overage: true, Price: PerPackage(eur(8, -3), 10)},
			MetricStorageGB: {Included: 50, Overage: true, Price: PerUnit(eur(150, -2))},
			MetricUsers:     {Included: 10, Overage: true, Price: PerUnit(eur(500, -2))},
		}},
		{Key: "enterprise", Name: "Enterprise", Limits: map[string]Limit{
			MetricDocuments: {Included: 5_000, Overage: true, Price: PerUnit(eur(30, -2))},
			MetricAPICalls:  {Included: 100_000, Overage: true, Price: PerPackage(eur(5, -3), 10)},
			MetricStorageGB: {Included: 500, Overage: true, Price: PerUnit(eur(100, -2))},
			MetricUsers:     {Included: 100, Overage: true, Price: PerUnit(eur(400, -2))},
		}},
	}
}
