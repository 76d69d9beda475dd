package usage

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/usagekit/usage/store"
)

// nopStore is a store.Store for tests that never reach a database: every subject is
// unassigned (so a Config's DefaultPlan applies), every metric registers as asked,
// Ingest fails, and the other methods panic.
type nopStore struct{ store.Store }

func (nopStore) Capabilities() store.Capabilities {
	return store.Capabilities{Name: "nop"}
}

func (nopStore) GetSubject(context.Context, *store.GetSubjectParams) (*store.GetSubjectResult, error) {
	return nil, store.ErrNotFound
}

func (nopStore) RegisterMetrics(_ context.Context, p *store.RegisterMetricsParams) (*store.RegisterMetricsResult, error) {
	return &store.RegisterMetricsResult{Stored: p.Metrics}, nil
}

func (nopStore) ListThresholds(context.Context, *store.ListThresholdsParams) (*store.ListThresholdsResult, error) {
	return &store.ListThresholdsResult{}, nil
}

func (nopStore) Ingest(context.Context, *store.IngestParams) (*store.IngestResult, error) {
	return nil, errors.New("nopStore: Ingest called")
}

// newTestMeter returns a Meter on a nopStore, closed when the test ends.
func newTestMeter(t *testing.T, cfg *Config) *Meter {
	t.Helper()
	m, err := New(nopStore{}, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return m
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()

	metrics := ExampleMetrics()
	tests := []struct {
		name string
		st   store.Store
		cfg  *Config
		want string // a substring saying what is wrong and how to fix it
	}{
		{"nil store", nil, &Config{Metrics: metrics, Plans: ExamplePlans()},
			"nil store: open one with sqlite.Open or postgres.Open"},
		{"nil config", nopStore{}, nil,
			"nil Config: Metrics and Plans are required"},
		{"no metrics", nopStore{}, &Config{Plans: ExamplePlans()},
			"Config.Metrics is empty: declare the metrics to meter (see ExampleMetrics)"},
		{"no plans", nopStore{}, &Config{Metrics: metrics},
			"Config.Plans is empty: declare at least one plan (see ExamplePlans)"},
		{"duplicate metric", nopStore{}, &Config{
			Metrics: []Metric{{Key: "api_calls"}, {Key: "documents"}, {Key: "api_calls", Aggregation: AggregationCount}},
			Plans:   []Plan{{Key: "basic"}},
		}, `two metrics with key "api_calls": give each metric its own key`},
		{"duplicate plan", nopStore{}, &Config{
			Metrics: metrics,
			Plans:   []Plan{{Key: "basic"}, {Key: "pro"}, {Key: "basic", Name: "Basic again"}},
		}, `two plans with key "basic": give each plan its own key`},
		{"empty plan key", nopStore{}, &Config{Metrics: metrics, Plans: []Plan{{Name: "Nameless"}}},
			"plan with empty key: give every plan a Key"},
		{"uppercase metric key", nopStore{}, &Config{Metrics: []Metric{{Key: "API_calls"}}, Plans: []Plan{{Key: "basic"}}},
			`metric key "API_calls": want 1-64 characters of a-z, 0-9, '_', '.', ':', '-', starting with a letter`},
		{"empty metric key", nopStore{}, &Config{Metrics: []Metric{{Key: ""}}, Plans: []Plan{{Key: "basic"}}},
			`metric key "": want 1-64 characters`},
		{"metric key with space", nopStore{}, &Config{Metrics: []Metric{{Key: "api calls"}}, Plans: []Plan{{Key: "basic"}}},
			`metric key "api calls": want 1-64 characters`},
		{"metric key starting with digit", nopStore{}, &Config{Metrics: []Metric{{Key: "1calls"}}, Plans: []Plan{{Key: "basic"}}},
			`metric key "1calls": want`},
		{"metric key too long", nopStore{}, &Config{Metrics: []Metric{{Key: "a" + strings.Repeat("b", 64)}}, Plans: []Plan{{Key: "basic"}}},
			"want 1-64 characters"},
		{"unknown aggregation", nopStore{}, &Config{Metrics: []Metric{{Key: "latency", Aggregation: "median"}}, Plans: []Plan{{Key: "basic"}}},
			`metric latency: unknown aggregation "median": want sum, count, max, min, avg, latest or unique_count`},
		{"limit for unknown metric", nopStore{}, &Config{Metrics: metrics, Plans: []Plan{{Key: "basic", Limits: map[string]Limit{"seats": {Included: 3}}}}},
			`plan basic: limit for unknown metric "seats": add it to Config.Metrics`},
		{"negative included", nopStore{}, &Config{Metrics: metrics, Plans: []Plan{{Key: "basic", Limits: map[string]Limit{MetricDocuments: {Included: -1}}}}},
			"plan basic: metric documents: included -1: negative: want a non-negative number with at most six decimal places, or set Unlimited"},
		{"NaN included", nopStore{}, &Config{Metrics: metrics, Plans: []Plan{{Key: "basic", Limits: map[string]Limit{MetricDocuments: {Included: math.NaN()}}}}},
			"included NaN: NaN is not a number: want a non-negative number"},
		{"infinite included", nopStore{}, &Config{Metrics: metrics, Plans: []Plan{{Key: "basic", Limits: map[string]Limit{MetricAPICalls: {Included: math.Inf(1)}}}}},
			"included +Inf: infinity is not a quantity: want a non-negative number with at most six decimal places, or set Unlimited"},
		{"too precise included", nopStore{}, &Config{Metrics: metrics, Plans: []Plan{{Key: "basic", Limits: map[string]Limit{MetricStorageGB: {Included: 0.0000001}}}}},
			"more than six decimal places: want a non-negative number"},
		{"whole units of a count", nopStore{}, &Config{Metrics: []Metric{{Key: "calls", Aggregation: AggregationCount, WholeUnits: true}}, Plans: []Plan{{Key: "basic"}}},
			"metric calls: WholeUnits with aggregation count: counts are whole already and an average has fractions; remove WholeUnits"},
		{"whole units of an average", nopStore{}, &Config{Metrics: []Metric{{Key: "latency", Aggregation: AggregationAvg, WholeUnits: true}}, Plans: []Plan{{Key: "basic"}}},
			"metric latency: WholeUnits with aggregation avg"},
		{"fractional included of whole units", nopStore{}, &Config{Metrics: []Metric{{Key: "bytes", WholeUnits: true}},
			Plans: []Plan{{Key: "basic", Limits: map[string]Limit{"bytes": {Included: 1.5}}}}},
			"plan basic: metric bytes: included 1.5: a fraction: the metric counts whole units: want a non-negative whole number"},
		{"included past the fractional range", nopStore{}, &Config{Metrics: metrics, Plans: []Plan{{Key: "basic", Limits: map[string]Limit{MetricAPICalls: {Included: 1e13}}}}},
			"included 1e+13: magnitude above the maximum of 9000000000000"},
		{"unknown default plan", nopStore{}, &Config{Metrics: metrics, Plans: ExamplePlans(), DefaultPlan: "free"},
			`Config.DefaultPlan "free" is not one of Config.Plans: name one of their keys, or leave it empty`},
		{"negative max lateness", nopStore{}, &Config{Metrics: metrics, Plans: ExamplePlans(), MaxLateness: -time.Hour},
			"Config durations and sizes must not be negative"},
		{"negative max properties", nopStore{}, &Config{Metrics: metrics, Plans: ExamplePlans(), MaxProperties: -1},
			"Config durations and sizes must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := New(tt.st, tt.cfg)
			if err == nil {
				t.Fatal("New succeeded, want an error")
			}
			if m != nil {
				t.Fatalf("New returned a Meter with error %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New error = %q, want it to contain %q", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "usage: ") {
				t.Fatalf("New error = %q, want the prefix \"usage: \"", err)
			}
		})
	}
}

func TestNewAccepts(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		cfg  *Config
	}{
		{"example catalog", &Config{Metrics: ExampleMetrics(), Plans: ExamplePlans(), DefaultPlan: "basic"}},
		{"plan without limits", &Config{Metrics: []Metric{{Key: "api_calls"}}, Plans: []Plan{{Key: "free"}}}},
		{"unlimited ignores included", &Config{Metrics: []Metric{{Key: "api_calls"}}, Plans: []Plan{{Key: "free",
			Limits: map[string]Limit{"api_calls": {Unlimited: true, Included: math.NaN()}}}}}},
		{"zero included", &Config{Metrics: []Metric{{Key: "api_calls"}}, Plans: []Plan{{Key: "free",
			Limits: map[string]Limit{"api_calls": {Included: 0}}}}}},
		{"key punctuation", &Config{Metrics: []Metric{{Key: "a.b:c-d_9"}}, Plans: []Plan{{Key: "free"}}}},
		{"64-character key", &Config{Metrics: []Metric{{Key: "a" + strings.Repeat("b", 63)}}, Plans: []Plan{{Key: "free"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if m := newTestMeter(t, tt.cfg); m == nil {
				t.Fatal("New returned no Meter")
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	t.Parallel()

	given := &Config{Metrics: []Metric{{Key: "api_calls"}, {Key: "seats", Aggregation: AggregationUniqueCount}}, Plans: ExamplePlans()[:1]}
	c := given.withDefaults()
	if c.MaxLateness != 35*24*time.Hour || DefaultMaxLateness != 35*24*time.Hour {
		t.Errorf("MaxLateness = %s, want 35 days", c.MaxLateness)
	}
	if c.MaxFuture != 5*time.Minute || DefaultMaxFuture != 5*time.Minute {
		t.Errorf("MaxFuture = %s, want 5m", c.MaxFuture)
	}
	if c.MaxProperties != 32 || c.MaxPropertyBytes != 4096 {
		t.Errorf("MaxProperties, MaxPropertyBytes = %d, %d; want 32, 4096", c.MaxProperties, c.MaxPropertyBytes)
	}
	if c.AssignmentTTL != 10*time.Second {
		t.Errorf("AssignmentTTL = %s, want 10s", c.AssignmentTTL)
	}
	if c.Logger == nil || c.Logger.Handler() != slog.DiscardHandler {
		t.Error("Logger does not discard: the Meter is quiet by default")
	}
	if c.Maintenance.LeaseTime != DefaultLeaseTime || c.Maintenance.Retention.Events != DefaultEventRetention ||
		c.Maintenance.Retention.Rollups != DefaultRollupRetention || c.Maintenance.Instance == "" {
		t.Errorf("Maintenance defaults not filled in: %+v", c.Maintenance)
	}
	if c.Test.Time == nil {
		t.Fatal("Test.Time not set")
	}
	if c.metrics["api_calls"].Aggregation != AggregationSum {
		t.Errorf("default aggregation = %q, want sum", c.metrics["api_calls"].Aggregation)
	}
	if c.metrics["seats"].Aggregation != AggregationUniqueCount {
		t.Errorf("aggregation = %q, want unique_count", c.metrics["seats"].Aggregation)
	}
	if _, ok := c.plans["basic"]; !ok || len(c.plans) != 1 {
		t.Errorf("plans = %v, want basic", c.plans)
	}
	// The caller's Config is left as it was.
	if given.MaxLateness != 0 || given.Logger != nil || given.Test.Time != nil || given.Metrics[0].Aggregation != "" {
		t.Errorf("withDefaults changed the caller's Config: %+v", given)
	}

	// Set values are kept.
	clock := func() time.Time { return time.Unix(1, 0) }
	logger := slog.New(slog.DiscardHandler)
	c = (&Config{
		Metrics: ExampleMetrics(), Plans: ExamplePlans(), MaxLateness: time.Hour, MaxFuture: time.Second,
		MaxProperties: 2, MaxPropertyBytes: 10, AssignmentTTL: time.Minute, Logger: logger,
		Test: TestConfig{Time: clock},
	}).withDefaults()
	if c.MaxLateness != time.Hour || c.MaxFuture != time.Second || c.MaxProperties != 2 ||
		c.MaxPropertyBytes != 10 || c.AssignmentTTL != time.Minute || c.Logger != logger ||
		!c.Test.Time().Equal(time.Unix(1, 0)) {
		t.Errorf("withDefaults replaced set values: %+v", c)
	}
}

func TestExampleCatalog(t *testing.T) {
	t.Parallel()

	metrics := ExampleMetrics()
	wantMetrics := []Metric{
		{Key: "documents", Unit: "documents", Aggregation: AggregationSum},
		{Key: "api_calls", Unit: "calls", Aggregation: AggregationSum},
		{Key: "storage_gb", Unit: "GB", Aggregation: AggregationMax},
		{Key: "users", Unit: "users", Aggregation: AggregationUniqueCount},
	}
	if len(metrics) != len(wantMetrics) {
		t.Fatalf("ExampleMetrics() has %d metrics, want %d", len(metrics), len(wantMetrics))
	}
	for i := range wantMetrics {
		if !reflect.DeepEqual(metrics[i], wantMetrics[i]) {
			t.Errorf("ExampleMetrics()[%d] = %+v, want %+v", i, metrics[i], wantMetrics[i])
		}
	}

	type limits map[string]Limit
	want := []struct {
		key, name string
		limits    limits
	}{
		{"basic", "Basic", limits{
			"documents": {Included: 100, Overage: true}, "api_calls": {Included: 1000, Overage: true},
			"storage_gb": {Included: 5, Overage: true}, "users": {Included: 3, Overage: false},
		}},
		{"professional", "Professional", limits{
			"documents": {Included: 500, Overage: true}, "api_calls": {Included: 10000, Overage: true},
			"storage_gb": {Included: 50, Overage: true}, "users": {Included: 10, Overage: true},
		}},
		{"enterprise", "Enterprise", limits{
			"documents": {Included: 5000, Overage: true}, "api_calls": {Included: 100000, Overage: true},
			"storage_gb": {Included: 500, Overage: true}, "users": {Included: 100, Overage: true},
		}},
	}
	plans := ExamplePlans()
	if len(plans) != len(want) {
		t.Fatalf("ExamplePlans() has %d plans, want %d", len(plans), len(want))
	}
	for i, w := range want {
		p := plans[i]
		if p.Key != w.key || p.Name != w.name {
			t.Errorf("plan %d = %s (%s), want %s (%s)", i, p.Key, p.Name, w.key, w.name)
		}
		if len(p.Limits) != len(w.limits) {
			t.Errorf("plan %s has %d limits, want %d", p.Key, len(p.Limits), len(w.limits))
		}
		for metric, l := range w.limits {
			if got := p.Limits[metric]; !sameQuota(got, l) {
				t.Errorf("plan %s, %s: %+v, want %+v", p.Key, metric, got, l)
			}
		}
	}

	// The catalog is a valid Config, and each call returns a fresh copy.
	newTestMeter(t, &Config{Metrics: metrics, Plans: plans})
	plans[0].Limits[MetricUsers] = Limit{Unlimited: true}
	if !sameQuota(ExamplePlans()[0].Limits[MetricUsers], Limit{Included: 3}) {
		t.Error("ExamplePlans shares its maps between calls")
	}
}

func TestPlanLimitFor(t *testing.T) {
	t.Parallel()

	basic := ExamplePlans()[0]
	if got := basic.limitFor(MetricUsers); !sameQuota(got, Limit{Included: 3}) {
		t.Errorf("limitFor(users) = %+v", got)
	}
	if got := basic.limitFor("unlisted"); !sameQuota(got, Limit{Unlimited: true}) {
		t.Errorf("limitFor(unlisted) = %+v, want unlimited", got)
	}
}

// sameQuota compares limits without their prices, which price_test.go checks.
func sameQuota(a, b Limit) bool {
	return a.Included == b.Included && a.Unlimited == b.Unlimited && a.Overage == b.Overage
}
