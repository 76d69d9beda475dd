package usage

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/usagekit/usage/store"
)

// Defaults of Config.
const (
	// DefaultMaxLateness is how far in the past an event's time may lie.
	DefaultMaxLateness = 35 * 24 * time.Hour
	// DefaultMaxFuture is how far ahead of now an event's time may lie (clock skew).
	DefaultMaxFuture = 5 * time.Minute
	// DefaultMaxProperties is the most properties one event may carry.
	DefaultMaxProperties = 32
	// DefaultMaxPropertyBytes is the most bytes of keys and values one event's
	// properties may hold.
	DefaultMaxPropertyBytes = 4096
	// DefaultMaxBatchSize is the most events one group-commit transaction holds.
	// Larger transactions spread a commit's fixed cost (round trips, the sync, the
	// quota and rollup rows) over more events.
	DefaultMaxBatchSize = 5000
	// DefaultMaxInFlight is the most events accepted by Track but not yet committed.
	DefaultMaxInFlight = 20_000
	// DefaultConcurrentWriters is the number of group-commit writers on a store with
	// concurrent writers (Postgres); stores that serialise writers (SQLite) get one.
	// Each writer has its own subjects, so two commit side by side without waiting
	// for each other's locks; on a machine with few cores, more only split the
	// waiting events into smaller transactions (usagebench ingest -writers measures
	// it).
	DefaultConcurrentWriters = 2
	// DefaultQuotaViewTTL is how long CheckQuota trusts a quota row it has read before
	// reading it again.
	DefaultQuotaViewTTL = time.Second
	// DefaultAssignmentTTL is how long a Meter trusts a plan assignment it has read
	// before reading it again.
	DefaultAssignmentTTL = 10 * time.Second
	// DefaultAssignmentCacheSize is how many subjects' plan assignments a Meter keeps
	// in memory. With DefaultQuotaCacheSize it bounds what a Meter holds per
	// subject however many it meters (BENCHMARKS.md, "Larger default bounds");
	// raise it when more subjects than this are active within AssignmentTTL.
	DefaultAssignmentCacheSize = 131_072
	// DefaultQuotaCacheSize is how many quota rows (one per subject and metric) a
	// Meter keeps in memory for CheckQuota. An entry holds a whole quota row, so
	// it is smaller than DefaultAssignmentCacheSize; raise it when more subjects
	// than this are checked within QuotaViewTTL.
	DefaultQuotaCacheSize = 32_768
)

// Config configures a Meter. The zero value of every field except Metrics and Plans
// means its default.
type Config struct {
	// Metrics are the metrics the Meter accepts. Required.
	Metrics []Metric
	// Plans are the plans subjects can be assigned. Required.
	Plans []Plan
	// DefaultPlan is the key of the plan of subjects that have no assignment. Empty
	// means such subjects are refused with ErrNoPlan.
	DefaultPlan string
	// PlanResolver, when set, tells the Meter each subject's plan from the host's own
	// licensing system instead of the assignments kept in the store.
	PlanResolver PlanResolver
	// AssignmentTTL is how long a Meter keeps a subject's assignment before reading
	// it again: the bound on how late this instance sees a plan change made by
	// another instance. Defaults to DefaultAssignmentTTL.
	AssignmentTTL time.Duration
	// AssignmentCacheSize is the most subjects whose assignments the Meter keeps in
	// memory; past it, one not used recently is dropped and read again from the
	// store (or the PlanResolver) when its subject returns. It bounds the Meter's
	// memory however many subjects it meters. Defaults to DefaultAssignmentCacheSize.
	AssignmentCacheSize int
	// QuotaViewTTL bounds how far CheckQuota's answers from memory may lag behind
	// writes by other instances sharing the database; this Meter's own writes show at
	// once. Defaults to DefaultQuotaViewTTL.
	QuotaViewTTL time.Duration
	// StrictQuotaCheck makes CheckQuota read the database on every call instead of
	// answering from memory.
	StrictQuotaCheck bool
	// QuotaCacheSize is the most quota rows (one per subject and metric) the Meter
	// keeps in memory to answer CheckQuota: those CheckQuota has read, kept as
	// the Meter's commits leave them. Past it, one not used recently is dropped
	// and read again from the store when next asked for, so answers are as exact
	// as without the bound. Defaults to DefaultQuotaCacheSize.
	QuotaCacheSize int
	// WhenUnavailable says what CheckQuota and Quotas do while the database is
	// unavailable: wait for it, or answer from memory marked Stale. Defaults to
	// WaitForStore; see WhenUnavailable for what every call does.
	WhenUnavailable WhenUnavailable
	// MaxBatchSize is the most events one group-commit transaction holds. Defaults
	// to DefaultMaxBatchSize.
	MaxBatchSize int
	// BatchWait is how long a writer holds a batch open for more events when fewer
	// than MaxBatchSize are waiting. Zero (the default) commits what is waiting at
	// once, batches forming from the calls that arrive while a commit runs, except
	// that a batch smaller than the writer's last commit is held open for an eighth
	// of that commit's time at most, until as many events wait: callers that call
	// again as soon as they are answered (a loop of TrackBatch calls, workers
	// draining a queue) then share one commit instead of making a small one; a
	// lone caller is not held.
	BatchWait time.Duration
	// MaxInFlight bounds the events accepted but not yet committed; Track waits for
	// room until its context ends, then returns ErrOverloaded. Defaults to
	// DefaultMaxInFlight.
	MaxInFlight int
	// Writers is the number of goroutines committing batches, each for its share of
	// the subjects. Defaults to 1 on a store that serialises writers and
	// DefaultConcurrentWriters on one that does not.
	Writers int
	// MaxLateness is how far in the past an event's time may lie. Defaults to
	// DefaultMaxLateness.
	MaxLateness time.Duration
	// MaxFuture is how far ahead an event's time may lie. Defaults to
	// DefaultMaxFuture.
	MaxFuture time.Duration
	// MaxProperties is the most properties an event may carry. Defaults to
	// DefaultMaxProperties.
	MaxProperties int
	// MaxPropertyBytes is the most bytes an event's property keys and values may hold
	// in all. Defaults to DefaultMaxPropertyBytes.
	MaxPropertyBytes int
	// Alerts configures the alerts raised at thresholds of the limits, and their
	// delivery to Notifiers.
	Alerts AlertConfig
	// Logger receives the Meter's logs: warnings while the database is unavailable
	// or a maintenance job fails, debug records of maintenance. Defaults to a logger
	// that discards them: the Meter is quiet unless the host asks.
	Logger *slog.Logger
	// MeterProvider receives the Meter's OpenTelemetry instruments, on a meter named
	// InstrumentationName. Defaults to a no-op provider. The instruments:
	//   - usage.events.tracked, usage.events.replayed, usage.events.conflicting
	//     (counters of events);
	//   - usage.events.refused (counter of events, attribute reason: quota,
	//     overflow or invalid);
	//   - usage.events.in_flight (up-down counter of events accepted by Track and
	//     not yet committed);
	//   - usage.overload.refusals (counter of calls refused with ErrOverloaded);
	//   - usage.commit.batch_size (histogram of events per commit) and
	//     usage.commit.duration (histogram of seconds per commit);
	//   - usage.store.retries (counter of calls and commits that met an
	//     unavailable database and were retried);
	//   - usage.alerts.delivered and usage.alerts.failed (counters of alert
	//     deliveries and failed attempts);
	//   - usage.maintenance.runs (counter, attributes job and outcome: ok or
	//     error) and usage.maintenance.duration (histogram of seconds, attribute
	//     job).
	MeterProvider metric.MeterProvider
	// Maintenance configures the periodic jobs (see MaintenanceConfig and
	// RunMaintenance). By default none runs on a schedule.
	Maintenance MaintenanceConfig
	// Test holds settings for tests.
	Test TestConfig

	metrics map[string]Metric
	plans   map[string]Plan
	// limits holds each plan's limit of every metric (plan key, then metric key) as
	// the store keeps it, resolved once so that no call converts Limit.Included again.
	limits map[string]map[string]store.QuotaLimit
	// alertLevels holds each plan's alert thresholds by metric, as the store takes
	// them (see resolveAlertLevels).
	alertLevels map[string]map[string][]store.AlertLevel
}

// TestConfig holds Config settings meant for tests.
type TestConfig struct {
	// Time returns the current time. Defaults to time.Now.
	Time func() time.Time
}

// withDefaults returns a copy of c with defaults filled in and lookups built.
func (c *Config) withDefaults() *Config {
	out := *c
	out.AssignmentTTL = cmp.Or(out.AssignmentTTL, DefaultAssignmentTTL)
	out.QuotaViewTTL = cmp.Or(out.QuotaViewTTL, DefaultQuotaViewTTL)
	out.AssignmentCacheSize = cmp.Or(out.AssignmentCacheSize, DefaultAssignmentCacheSize)
	out.QuotaCacheSize = cmp.Or(out.QuotaCacheSize, DefaultQuotaCacheSize)
	out.MaxBatchSize = cmp.Or(out.MaxBatchSize, DefaultMaxBatchSize)
	out.MaxInFlight = cmp.Or(out.MaxInFlight, DefaultMaxInFlight)
	out.MaxLateness = cmp.Or(out.MaxLateness, DefaultMaxLateness)
	out.MaxFuture = cmp.Or(out.MaxFuture, DefaultMaxFuture)
	out.MaxProperties = cmp.Or(out.MaxProperties, DefaultMaxProperties)
	out.MaxPropertyBytes = cmp.Or(out.MaxPropertyBytes, DefaultMaxPropertyBytes)
	out.Alerts = out.Alerts.withDefaults()
	out.Logger = cmp.Or(out.Logger, slog.New(slog.DiscardHandler))
	out.Maintenance = out.Maintenance.withDefaults()
	if out.Test.Time == nil {
		out.Test.Time = time.Now
	}
	out.metrics = make(map[string]Metric, len(c.Metrics))
	for _, m := range c.Metrics {
		m.Aggregation = cmp.Or(m.Aggregation, AggregationSum)
		m.MaxDimensionValues = cmp.Or(m.MaxDimensionValues, DefaultMaxDimensionValues)
		// Sorted once, in a copy: the store keys rollups by the names in order.
		m.Dimensions = slices.Sorted(slices.Values(m.Dimensions))
		out.metrics[m.Key] = m
	}
	out.plans = make(map[string]Plan, len(c.Plans))
	out.limits = make(map[string]map[string]store.QuotaLimit, len(c.Plans))
	for _, p := range c.Plans {
		out.plans[p.Key] = p
		out.limits[p.Key] = p.quotaLimits(out.metrics)
	}
	return &out
}

// validate says what is wrong with a configuration and how to fix it.
func (c *Config) validate() error {
	if len(c.Metrics) == 0 {
		return errors.New("usage: Config.Metrics is empty: declare the metrics to meter (see ExampleMetrics)")
	}
	if len(c.Plans) == 0 {
		return errors.New("usage: Config.Plans is empty: declare at least one plan (see ExamplePlans)")
	}
	// In the order given, so the same Config always reports the same error.
	seen := make(map[string]bool, len(c.Metrics))
	for _, m := range c.Metrics {
		if seen[m.Key] {
			return fmt.Errorf("usage: Config.Metrics has two metrics with key %q: give each metric its own key", m.Key)
		}
		seen[m.Key] = true
		if err := c.metrics[m.Key].validate(); err != nil {
			return fmt.Errorf("usage: Config.Metrics: %w", err)
		}
	}
	seen = make(map[string]bool, len(c.Plans))
	for _, p := range c.Plans {
		if seen[p.Key] {
			return fmt.Errorf("usage: Config.Plans has two plans with key %q: give each plan its own key", p.Key)
		}
		seen[p.Key] = true
	}
	for _, p := range c.Plans {
		if err := p.validate(c.metrics); err != nil {
			return fmt.Errorf("usage: Config.Plans: %w", err)
		}
	}
	if err := c.resolveAlertLevels(); err != nil {
		return err
	}
	if err := c.Alerts.validate(); err != nil {
		return err
	}
	if _, ok := c.plans[c.DefaultPlan]; c.DefaultPlan != "" && !ok {
		return fmt.Errorf("usage: Config.DefaultPlan %q is not one of Config.Plans: name one of their keys, or leave it empty to refuse subjects without a plan", c.DefaultPlan)
	}
	if c.MaxLateness < 0 || c.MaxFuture < 0 || c.MaxProperties < 0 || c.MaxPropertyBytes < 0 || c.AssignmentTTL < 0 ||
		c.QuotaViewTTL < 0 || c.MaxBatchSize < 0 || c.BatchWait < 0 || c.MaxInFlight < 0 || c.Writers < 0 ||
		c.AssignmentCacheSize < 0 || c.QuotaCacheSize < 0 {
		return errors.New("usage: Config durations and sizes must not be negative")
	}
	if err := c.Maintenance.validate(c.MaxLateness); err != nil {
		return err
	}
	if !c.WhenUnavailable.valid() {
		return fmt.Errorf("usage: Config.WhenUnavailable is %d: use usage.WaitForStore or usage.AnswerStale", c.WhenUnavailable)
	}
	return nil
}

// metric returns the configured metric with the key, or an error naming the field.
func (c *Config) metric(key string) (Metric, error) {
	met, ok := c.metrics[key]
	if !ok {
		return Metric{}, invalid("metric", "unknown metric %q: add it to Config.Metrics", truncate(key))
	}
	return met, nil
}
