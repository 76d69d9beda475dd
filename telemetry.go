package usage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/usagekit/usage/internal/retry"
	"github.com/usagekit/usage/store"
)

// InstrumentationName is the name of the OpenTelemetry meter the Meter's
// instruments belong to (Config.MeterProvider).
const InstrumentationName = "github.com/usagekit/usage"

// telemetry holds the Meter's instruments. Their names, units and attributes are
// listed in Config.MeterProvider's documentation.
type telemetry struct {
	tracked, replayed, conflicting metric.Int64Counter
	// refused counts events refused, with the reason as an attribute.
	refused metric.Int64Counter
	// overloaded counts calls refused with ErrOverloaded.
	overloaded metric.Int64Counter
	inFlight   metric.Int64UpDownCounter
	batchSize  metric.Int64Histogram
	commitTime metric.Float64Histogram
	retries    metric.Int64Counter
	// alertsDelivered and alertsFailed count deliveries of alerts to notifiers.
	alertsDelivered, alertsFailed metric.Int64Counter
	jobRuns                       metric.Int64Counter
	jobTime                       metric.Float64Histogram

	// The attribute sets of refusals, built once so the hot path does not.
	byQuota, byOverflow, invalidInput metric.AddOption
}

// newTelemetry creates the instruments on the provider's meter; a nil provider
// gives instruments that do nothing.
func newTelemetry(mp metric.MeterProvider) (*telemetry, error) {
	if mp == nil {
		mp = noop.NewMeterProvider()
	}
	m := mp.Meter(InstrumentationName)
	t := &telemetry{
		byQuota:      reason("quota"),
		byOverflow:   reason("overflow"),
		invalidInput: reason("invalid"),
	}
	var errs []error
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	t.tracked = counter("usage.events.tracked", "{event}", "Events stored and charged.")
	t.replayed = counter("usage.events.replayed", "{event}", "Events tracked again with an identical payload: stored once, charged once.")
	t.conflicting = counter("usage.events.conflicting", "{event}", "Events whose ID was stored with another payload.")
	t.refused = counter("usage.events.refused", "{event}", "Events refused, by reason: quota (over a limit without overage), overflow, invalid.")
	t.overloaded = counter("usage.overload.refusals", "{call}", "Track calls refused because Config.MaxInFlight events were waiting to commit.")
	t.retries = counter("usage.store.retries", "{attempt}", "Store calls and commits that failed because the database was unavailable, and were retried.")
	t.alertsDelivered = counter("usage.alerts.delivered", "{alert}", "Alerts delivered to a notifier.")
	t.alertsFailed = counter("usage.alerts.failed", "{attempt}", "Failed attempts to deliver an alert to a notifier.")
	t.jobRuns = counter("usage.maintenance.runs", "{run}", "Maintenance job runs on this instance, by job and outcome (ok, error).")
	var err error
	t.inFlight, err = m.Int64UpDownCounter("usage.events.in_flight", metric.WithUnit("{event}"),
		metric.WithDescription("Events accepted by Track and not yet committed."))
	errs = append(errs, err)
	t.batchSize, err = m.Int64Histogram("usage.commit.batch_size", metric.WithUnit("{event}"),
		metric.WithDescription("Events per group-commit transaction."),
		metric.WithExplicitBucketBoundaries(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000))
	errs = append(errs, err)
	t.commitTime, err = m.Float64Histogram("usage.commit.duration", metric.WithUnit("s"),
		metric.WithDescription("Time the store took to commit a group-commit transaction."),
		metric.WithExplicitBucketBoundaries(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
	errs = append(errs, err)
	t.jobTime, err = m.Float64Histogram("usage.maintenance.duration", metric.WithUnit("s"),
		metric.WithDescription("Time a maintenance job run took, by job."),
		metric.WithExplicitBucketBoundaries(0.01, 0.1, 1, 10, 60, 300, 1800, 3600))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("usage: create the OpenTelemetry instruments: %w", err)
	}
	return t, nil
}

func reason(r string) metric.AddOption {
	return metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", r)))
}

// committed records one commit of the group-commit writer: its size and time when
// it succeeded, a retry when the database was unavailable.
func (t *telemetry) committed(events int, took time.Duration, err error) {
	ctx := context.Background()
	switch {
	case err == nil:
		t.batchSize.Record(ctx, int64(events))
		t.commitTime.Record(ctx, took.Seconds())
	case retry.Transient(err):
		t.retries.Add(ctx, 1)
	}
}

// outcomes counts the outcomes of one Track or TrackBatch call.
type outcomes struct {
	tracked, replayed, conflicting, overQuota, overflow int64
}

func (o *outcomes) add(status store.Status) {
	switch status {
	case store.StatusInserted:
		o.tracked++
	case store.StatusDuplicate:
		o.replayed++
	case store.StatusConflict:
		o.conflicting++
	case store.StatusOverflow:
		o.overflow++
	default:
		o.overQuota++
	}
}

// record adds a call's outcomes to the counters, skipping the zeros.
func (t *telemetry) record(ctx context.Context, o outcomes) {
	add := func(c metric.Int64Counter, n int64, opts ...metric.AddOption) {
		if n != 0 {
			c.Add(ctx, n, opts...)
		}
	}
	add(t.tracked, o.tracked)
	add(t.replayed, o.replayed)
	add(t.conflicting, o.conflicting)
	add(t.refused, o.overQuota, t.byQuota)
	add(t.refused, o.overflow, t.byOverflow)
}

// ran records a maintenance job's run.
func (t *telemetry) ran(job string, took time.Duration, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	ctx := context.Background()
	t.jobRuns.Add(ctx, 1, metric.WithAttributes(attribute.String("job", job), attribute.String("outcome", outcome)))
	t.jobTime.Record(ctx, took.Seconds(), metric.WithAttributes(attribute.String("job", job)))
}
