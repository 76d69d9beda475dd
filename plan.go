package usage

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/usagekit/usage/store"
)

// Aggregation says how a metric's events make up its usage in a billing period.
type Aggregation = store.Aggregation

// The aggregations. Sum and count describe flows (API calls, documents) and start from
// zero each period; max, min and latest describe a level (a gauge such as storage);
// avg is the mean of the period's values; unique_count counts distinct values once
// per period (seats: distinct users).
const (
	AggregationSum         = store.AggregationSum
	AggregationCount       = store.AggregationCount
	AggregationMax         = store.AggregationMax
	AggregationMin         = store.AggregationMin
	AggregationAvg         = store.AggregationAvg
	AggregationLatest      = store.AggregationLatest
	AggregationUniqueCount = store.AggregationUniqueCount
)

// Metric is something a subject uses and is metered for.
type Metric struct {
	// Key identifies the metric in events, plans and the store: 1 to 64 characters of
	// a-z, 0-9, '_', '.', ':' and '-', starting with a letter, e.g. "api_calls".
	Key string
	// Unit names what one unit is, for people: "calls", "GB". Optional.
	Unit string
	// Aggregation is how events make up usage. Defaults to AggregationSum.
	Aggregation Aggregation
	// AllowNegative lets events carry negative values (a sum that can go down, a
	// gauge below zero). By default values must be positive for sum and not negative
	// otherwise.
	AllowNegative bool
	// DistinctProperty names the event property whose distinct values a
	// unique_count metric counts. Defaults to the event's User.
	DistinctProperty string
}

var metricKeyPattern = regexp.MustCompile(`^[a-z][a-z0-9_.:-]{0,63}$`)

func (m Metric) validate() error {
	if !metricKeyPattern.MatchString(m.Key) {
		return fmt.Errorf("metric key %q: want 1-64 characters of a-z, 0-9, '_', '.', ':', '-', starting with a letter", m.Key)
	}
	if !m.Aggregation.Valid() {
		return fmt.Errorf("metric %s: unknown aggregation %q: want sum, count, max, min, avg, latest or unique_count", m.Key, m.Aggregation)
	}
	return nil
}

// Plan is what a subject subscribes to: per metric, how much is included each
// billing period and what happens beyond.
type Plan struct {
	// Key identifies the plan in assignments, e.g. "professional".
	Key string
	// Name is for people, e.g. "Professional".
	Name string
	// Limits maps metric keys to their limits. A metric of the Config that the plan
	// does not list is metered without a limit.
	Limits map[string]Limit
}

// Limit is a plan's quota for one metric in one billing period.
type Limit struct {
	// Included is how much of the metric the period includes: the quota's limit.
	// Ignored when Unlimited.
	Included float64
	// Unlimited means usage is metered but never limited.
	Unlimited bool
	// Overage lets usage continue past Included (billed as overage). Without it, an
	// event that would take usage past Included is refused.
	Overage bool
	// Price is what usage beyond Included costs; it needs Overage. The zero Price
	// bills overage at nothing.
	Price Price
}

// currency is the currency of the plan's prices: the first priced metric's, in key
// order, or DefaultCurrency.
func (p Plan) currency() string {
	keys := make([]string, 0, len(p.Limits))
	for k, l := range p.Limits {
		if !l.Price.IsZero() {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return DefaultCurrency
	}
	slices.Sort(keys)
	return p.Limits[keys[0]].Price.currency()
}

// limitFor returns the plan's limit for a metric; metrics the plan does not list are
// unlimited.
func (p Plan) limitFor(metric string) Limit {
	if l, ok := p.Limits[metric]; ok {
		return l
	}
	return Limit{Unlimited: true}
}

// quotaLimits resolves the plan's limit of every metric to what the store keeps:
// Included as an exact quantity (Config.validate reports one that is not).
func (p Plan) quotaLimits(metrics map[string]Metric) map[string]store.QuotaLimit {
	out := make(map[string]store.QuotaLimit, len(metrics))
	for key := range metrics {
		l := p.limitFor(key)
		included, _ := quantityOf(l.Included)
		out[key] = store.QuotaLimit{Limit: included.micros, Unlimited: l.Unlimited, AllowOverage: l.Overage}
	}
	return out
}

func (p Plan) validate(metrics map[string]Metric) error {
	if p.Key == "" {
		return fmt.Errorf("plan with empty key: give every plan a Key")
	}
	keys := make([]string, 0, len(p.Limits))
	for k := range p.Limits {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		l := p.Limits[k]
		if _, ok := metrics[k]; !ok {
			return fmt.Errorf("plan %s: limit for unknown metric %q: add it to Config.Metrics", p.Key, k)
		}
		if err := l.Price.validate(); err != nil {
			return fmt.Errorf("plan %s: metric %s: price: %w", p.Key, k, err)
		}
		if !l.Price.IsZero() && (l.Unlimited || !l.Overage) {
			return fmt.Errorf("plan %s: metric %s: a price is only charged for overage: set Overage, or remove the price", p.Key, k)
		}
		if currency := l.Price.currency(); !l.Price.IsZero() && currency != p.currency() {
			return fmt.Errorf("plan %s: metric %s: price in %s, other prices of the plan in %s: bill a plan in one currency", p.Key, k, currency, p.currency())
		}
		if l.Unlimited {
			continue
		}
		if q, why := quantityOf(l.Included); why != "" || q.micros < 0 {
			if why == "" {
				why = "negative"
			}
			return fmt.Errorf("plan %s: metric %s: included %v: %s: want a non-negative number with at most six decimal places, or set Unlimited", p.Key, k, l.Included, why)
		}
	}
	return nil
}
