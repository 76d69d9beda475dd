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
	// WholeUnits counts the metric in whole units, e.g. bytes: a period's total for
	// one subject reaches about 9.2 × 10^18 units, and each event up to
	// MaxWholeValue, but fractional values are refused. By default a metric keeps
	// six decimal places, and a period's total reaches about 9.2 × 10^12 units.
	// Only sum, max, min and latest metrics take it. A metric's choice is recorded
	// in the store the first time a Meter uses it, and New refuses a Config that
	// changes it.
	WholeUnits bool
	// Dimensions names the event properties that Usage can group and filter the
	// metric by (route, status, region): at most MaxDimensions, each a property key.
	// Ingest keeps hourly rollups per combination of their values beside the total,
	// so declare only what queries need.
	Dimensions []string
	// MaxDimensionValues bounds the distinct values of each dimension per subject:
	// the first ones stored are kept, later ones are counted under "other"
	// (OtherDimensionValue), alike in every instance, since the store decides it in
	// the transaction that stores the event. Defaults to DefaultMaxDimensionValues.
	MaxDimensionValues int
}

// Bounds of Metric.Dimensions.
const (
	// MaxDimensions is the most dimensions a metric declares.
	MaxDimensions = 4
	// DefaultMaxDimensionValues is the default of Metric.MaxDimensionValues.
	DefaultMaxDimensionValues = 100
	// OtherDimensionValue is the value a dimension takes in usage queries for the
	// values past its bound (Metric.MaxDimensionValues).
	OtherDimensionValue = store.OtherDimensionValue
)

// dimensions is what the store keeps of an event's declared dimensions.
func (m Metric) dimensions(props map[string]string) store.Dimensions {
	if len(m.Dimensions) == 0 {
		return store.Dimensions{}
	}
	values := make([]string, len(m.Dimensions))
	for i, name := range m.Dimensions {
		values[i] = props[name]
	}
	return store.Dimensions{Names: m.Dimensions, Values: values, Limit: m.MaxDimensionValues}
}

// declares reports whether the metric declares the dimension.
func (m Metric) declares(dimension string) bool { return slices.Contains(m.Dimensions, dimension) }

// scale is the power of ten of the metric's stored integers.
func (m Metric) scale() int {
	if m.WholeUnits {
		return wholeScale
	}
	return microScale
}

// quantity is the metric's stored integer n as a quantity.
func (m Metric) quantity(n int64) Quantity { return quantityAt(n, m.scale()) }

var metricKeyPattern = regexp.MustCompile(`^[a-z][a-z0-9_.:-]{0,63}$`)

func (m Metric) validate() error {
	if !metricKeyPattern.MatchString(m.Key) {
		return fmt.Errorf("metric key %q: want 1-64 characters of a-z, 0-9, '_', '.', ':', '-', starting with a letter", m.Key)
	}
	if !m.Aggregation.Valid() {
		return fmt.Errorf("metric %s: unknown aggregation %q: want sum, count, max, min, avg, latest or unique_count", m.Key, m.Aggregation)
	}
	switch m.Aggregation {
	case AggregationCount, AggregationUniqueCount, AggregationAvg:
		if m.WholeUnits {
			return fmt.Errorf("metric %s: WholeUnits with aggregation %s: counts are whole already and an average has fractions; remove WholeUnits", m.Key, m.Aggregation)
		}
	}
	if len(m.Dimensions) > MaxDimensions {
		return fmt.Errorf("metric %s: %d dimensions, more than MaxDimensions (%d): declare only those queries group or filter by", m.Key, len(m.Dimensions), MaxDimensions)
	}
	for i, d := range m.Dimensions {
		if !validPropertyKey(d) {
			return fmt.Errorf("metric %s: dimension %q: want a property key of 1-64 letters, digits, '_', '.', ':', '-'", m.Key, truncate(d))
		}
		if slices.Contains(m.Dimensions[:i], d) {
			return fmt.Errorf("metric %s: dimension %q declared twice: list each once", m.Key, d)
		}
	}
	if m.MaxDimensionValues < 0 {
		return fmt.Errorf("metric %s: MaxDimensionValues %d: want a positive bound, or 0 for DefaultMaxDimensionValues", m.Key, m.MaxDimensionValues)
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
	// Included is how much of the metric the period includes: the quota's limit. At
	// most 9 × 10^12 with six decimal places, or MaxWholeValue for a WholeUnits
	// metric. Ignored when Unlimited.
	Included float64
	// Unlimited means usage is metered but never limited.
	Unlimited bool
	// Overage lets usage continue past Included (billed as overage). Without it, an
	// event that would take usage past Included is refused.
	Overage bool
	// Price is what usage beyond Included costs; it needs Overage. The zero Price
	// bills overage at nothing.
	Price Price
	// Thresholds are the shares of Included at which alerts are raised. Defaults
	// to DefaultThresholds. A subject's own thresholds (Meter.SetThresholds)
	// replace them.
	Thresholds []Threshold
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
// Included as an exact quantity at the metric's scale (Config.validate reports one
// that is not).
func (p Plan) quotaLimits(metrics map[string]Metric) map[string]store.QuotaLimit {
	out := make(map[string]store.QuotaLimit, len(metrics))
	for key, metric := range metrics {
		l := p.limitFor(key)
		included, _ := metric.included(l.Included)
		n, _ := included.at(metric.scale())
		out[key] = store.QuotaLimit{Limit: n, Unlimited: l.Unlimited, AllowOverage: l.Overage}
	}
	return out
}

// included reads a plan's Included for the metric: exact, up to MaxWholeValue for a
// WholeUnits metric and 9 × 10^12 otherwise.
func (m Metric) included(v float64) (Quantity, string) {
	if m.WholeUnits {
		return boundedQuantity(v, wholeScale, MaxWholeValue)
	}
	return boundedQuantity(v, microScale, maxLimit)
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
		if q, why := metrics[k].included(l.Included); why != "" || q.Sign() < 0 {
			if why == "" {
				why = "negative"
			}
			want := "a non-negative number with at most six decimal places"
			if metrics[k].WholeUnits {
				want = "a non-negative whole number"
			}
			return fmt.Errorf("plan %s: metric %s: included %v: %s: want %s, or set Unlimited", p.Key, k, l.Included, why, want)
		}
	}
	return nil
}
