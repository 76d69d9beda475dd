package usage

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/usagekit/usage/internal/clockcache"
	"github.com/usagekit/usage/internal/dispatch"
	"github.com/usagekit/usage/internal/groupcommit"
	"github.com/usagekit/usage/internal/quotaview"
	"github.com/usagekit/usage/internal/scheduler"
	"github.com/usagekit/usage/store"
)

// Meter meters usage of subjects against their plans. It is safe for concurrent use;
// create one per process with New and share it.
type Meter struct {
	// store is the store under the retry policy (waiting), which every public
	// method calls; direct is the store itself, for the group-commit writer and
	// AnswerStale's single attempts.
	store       store.Store
	direct      store.Store
	cfg         *Config
	assignments assignments
	// defaultTerms are the terms of the DefaultPlan, which its subjects share
	// (see termsOf); nil until one is resolved.
	defaultTerms atomic.Pointer[terms]
	refresher    *refresher
	// lookups lets concurrent cache misses for one subject share one lookup, so a
	// cold start does not send every producer's first call to the store.
	lookups singleflight.Group
	writer  *groupcommit.Writer
	view    quotaview.View
	// dispatcher delivers alerts to Config.Alerts.Notifiers; nil without any.
	dispatcher *dispatch.Dispatcher
	// ownThresholds caches the subjects' own alert thresholds (nil: read again).
	ownThresholds atomic.Pointer[ownThresholds]
	closed        atomic.Bool
	tel           *telemetry
	// scheduler runs the maintenance jobs (see RunMaintenance).
	scheduler *scheduler.Scheduler
}

// registerTimeout bounds New's one call to the store.
const registerTimeout = 30 * time.Second

// New returns a Meter that keeps its state in st. The Meter does not own st: close
// the Meter, then the store. New records in st how each metric is counted
// (Metric.WholeUnits), and fails if a metric is already recorded the other way:
// stored amounts would be read at another scale. It fails with an error matching
// ErrUnavailable if the database cannot be reached (it waits at most 30 seconds).
func New(st store.Store, cfg *Config) (*Meter, error) {
	if st == nil {
		return nil, errors.New("usage: nil store: open one with sqlite.Open or postgres.Open")
	}
	if cfg == nil {
		return nil, errors.New("usage: nil Config: Metrics and Plans are required")
	}
	c := cfg.withDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	tel, err := newTelemetry(c.MeterProvider)
	if err != nil {
		return nil, err
	}
	ws := waiting{st: st, retried: func() { tel.retries.Add(context.Background(), 1) }}
	if err := registerMetrics(ws, c); err != nil {
		return nil, err
	}
	m := &Meter{store: ws, direct: st, cfg: c, refresher: newRefresher(), tel: tel,
		assignments: clockcache.New[string, *resolved](c.AssignmentCacheSize)}
	m.view.Init(c.QuotaCacheSize)
	writers := c.Writers
	if writers == 0 {
		writers = 1
		if st.Capabilities().ConcurrentWriters {
			writers = DefaultConcurrentWriters
		}
	}
	m.writer = groupcommit.New(st, groupcommit.Options{Writers: writers, MaxBatch: c.MaxBatchSize,
		Wait: c.BatchWait, MaxInFlight: c.MaxInFlight, Logger: c.Logger,
		AfterWrite: func(res *store.IngestResult) { m.view.Written(res.Quotas, m.now()) },
		OnCommit:   tel.committed})
	if m.scheduler, err = m.newScheduler(); err != nil {
		m.writer.Close(context.Background())
		return nil, err
	}
	// Started last, so a failed New leaves no delivery goroutines behind.
	m.startDispatcher()
	return m, nil
}

// registerMetrics records the scale of c's metrics in st and refuses a metric whose
// recorded scale differs.
func registerMetrics(st store.Store, c *Config) error {
	ctx, cancel := context.WithTimeout(context.Background(), registerTimeout)
	defer cancel()
	params := &store.RegisterMetricsParams{Metrics: make([]store.MetricScale, len(c.Metrics))}
	for i, met := range c.Metrics {
		params.Metrics[i] = store.MetricScale{Metric: met.Key, Scale: met.scale()}
	}
	res, err := st.RegisterMetrics(ctx, params)
	if err != nil {
		return fmt.Errorf("usage: record the metrics' units in the store: %w", err)
	}
	for i, got := range res.Stored {
		if want := params.Metrics[i]; got.Scale != want.Scale {
			how := map[bool]string{true: "whole units", false: "six decimal places"}
			return fmt.Errorf("usage: metric %s is stored in %s, Config.Metrics sets WholeUnits to %t: keep the metric as it was, or meter under a new key",
				want.Metric, how[got.Scale == wholeScale], want.Scale == wholeScale)
		}
	}
	return nil
}

// Close stops the Meter: new calls return ErrClosed, maintenance jobs running on
// this instance are stopped (their leases released, their slots left due for
// another instance), and Close returns once every event already accepted has been
// committed. If ctx ends first, Close abandons the
// commits still in progress and returns ctx's error; their callers get ErrClosed, and
// their events may or may not be stored. It stops delivering alerts: an attempt in
// progress is cancelled and made again later, by this Meter's successor or another
// instance. It does not close the store.
func (m *Meter) Close(ctx context.Context) error {
	m.closed.Store(true)
	m.refresher.close()
	// Maintenance first: its jobs may still be writing through the Meter.
	return errors.Join(m.scheduler.Close(ctx), m.writer.Close(ctx), m.stopDispatcher(ctx))
}

func (m *Meter) checkOpen() error {
	if m.closed.Load() {
		return ErrClosed
	}
	return nil
}

// forSubject checks what every call about one subject checks first: the Meter is
// open and the subject valid.
func (m *Meter) forSubject(subject string) error {
	if err := m.checkOpen(); err != nil {
		return err
	}
	return checkName("subject", subject, true)
}

// subjectMetric is forSubject for a call about one subject's metric: it also checks
// that the metric is configured, and returns it.
func (m *Meter) subjectMetric(subject, metric string) (Metric, error) {
	if err := m.forSubject(subject); err != nil {
		return Metric{}, err
	}
	return m.cfg.metric(metric)
}

func (m *Meter) now() time.Time { return m.cfg.Test.Time() }

// TrackResult is what Track did with an event.
type TrackResult struct {
	// Event is the event as stored: with its ID (generated if it was empty) and Time
	// (now if it was zero). For a replay it is the event stored first.
	Event Event
	// Replayed is true when an identical event was already stored: nothing was
	// charged again, and everything else in the result is the original's. It is
	// also true for the first Track of an event when the commit that stored it
	// succeeded but its reply was lost, and the retry found it stored.
	Replayed bool
	// UsedAfter is the quota's usage right after the event was admitted.
	UsedAfter Quantity
	// Period is the billing period the event counts in.
	Period Period
}

// Track records one event durably and applies it to the subject's quota, returning
// only after the transaction holding it has committed. Concurrent calls share
// transactions (group commit), each still waiting for its own. It is idempotent by subject
// and event ID: tracking an identical event again returns the original result with
// Replayed set and charges nothing; reusing the ID with another payload returns a
// *ConflictError. With a limit that allows no overage, an event that would take usage
// past the limit returns a *QuotaExceededError and nothing is recorded — exactly, also
// with many goroutines and processes sharing the store. While the database cannot be
// reached, Track keeps retrying (the plan lookup and the commit) with capped backoff
// until ctx ends (see WhenUnavailable); tracking the event again with the same ID is
// then safe.
//
// The errors Track returns, each meaning that nothing of the event was recorded
// unless said otherwise:
//   - *ValidationError (errors.Is ErrInvalidEvent): invalid input, naming the field;
//   - *QuotaExceededError (ErrQuotaExceeded): past a limit without overage;
//   - *ConflictError (ErrEventConflict): the ID is stored with another payload;
//   - an error matching ErrOverflow: the quota's total would leave its range (see
//     MaxValue and Metric.WholeUnits);
//   - ErrUnknownPlan or ErrNoPlan: the subject's plan cannot be resolved;
//   - ErrOverloaded: Config.MaxInFlight events waited and ctx ended first;
//   - ErrClosed: the Meter is closed; matching ErrClosed and ErrUnavailable too
//     when Close gave up on the commit (the event may be stored);
//   - an error matching both ErrUnavailable and ctx's error when ctx ended while the
//     database could not be reached or had not answered (the event may be stored);
//   - ctx's error alone when ctx had ended before the call.
func (m *Meter) Track(ctx context.Context, ev Event) (TrackResult, error) {
	results, err := m.track(ctx, []Event{ev}, false)
	if err != nil {
		return TrackResult{}, err
	}
	return results[0].TrackResult, results[0].Err
}

// BatchResult is the result of one event of TrackBatch.
type BatchResult struct {
	TrackResult
	// Err is the event's own refusal: a *QuotaExceededError or *ConflictError; or,
	// when the events of some subjects of the batch could not be stored and those of
	// others were, the failure (as Track would return it) for the former.
	Err error
}

// TrackBatch records several events, in order, with Track's guarantees for each.
// The events of one subject commit together: all of them or none. Events of
// different subjects may commit in different transactions, which run side by side.
// If any event is invalid, nothing is stored and the *ValidationError names it
// ("events[3].value"). Refusals by quota and conflicts are per event, in
// BatchResult.Err; the other events are stored. An error return means no event was
// stored, or, like Track's, that the call gave up waiting; tracking the batch again
// is safe either way, as is tracking again the events whose BatchResult.Err is such
// a failure.
func (m *Meter) TrackBatch(ctx context.Context, events []Event) ([]BatchResult, error) {
	return m.track(ctx, events, true)
}

func (m *Meter) track(ctx context.Context, events []Event, batch bool) ([]BatchResult, error) {
	if err := m.checkOpen(); err != nil {
		return nil, err
	}
	if len(events) == 0 {
		return []BatchResult{}, nil
	}
	// A context that has ended already is the caller's doing; one that ends from
	// here on ends while the database has not yet committed the events.
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("usage: track: %w", err)
	}
	now := m.now()
	if err := m.prefetchAssignments(ctx, events, now); err != nil {
		return nil, err
	}
	// Each event is built where its writer will read it.
	b := m.writer.NewBatch(len(events), func(i int) string { return events[i].Subject })
	subjects := make([]*resolved, len(events))
	for i, ev := range events {
		r, err := m.ingestEvent(ctx, ev, now, b.Event(i))
		if err != nil {
			var ve *ValidationError
			if errors.As(err, &ve) {
				m.tel.refused.Add(ctx, int64(len(events)), m.tel.invalidInput)
				if batch {
					ve.Field = fmt.Sprintf("events[%d].%s", i, ve.Field)
				}
			}
			return nil, err
		}
		subjects[i] = r
	}
	m.tel.inFlight.Add(ctx, int64(len(events)))
	err := m.writer.Commit(ctx, &b, now)
	m.tel.inFlight.Add(ctx, -int64(len(events)))
	if err != nil {
		if errors.Is(err, ErrOverloaded) {
			m.tel.overloaded.Add(ctx, 1)
		}
		return nil, fmt.Errorf("usage: track: %w", err)
	}
	out := make([]BatchResult, len(events))
	var counts outcomes
	for i := range events {
		o, err := b.Outcome(i)
		if err != nil {
			out[i] = BatchResult{Err: fmt.Errorf("usage: track: %w", err)}
			continue
		}
		counts.add(o.Status)
		out[i] = result(b.Event(i), m.cfg.metrics[events[i].Metric], subjects[i], o)
	}
	b.Release()
	m.tel.record(ctx, counts)
	return out, nil
}

// ingestEvent validates ev, resolves its subject's plan and period, and builds at
// ie what the store needs: the event and its quota. It returns the subject.
func (m *Meter) ingestEvent(ctx context.Context, ev Event, now time.Time, ie *store.IngestEvent) (*resolved, error) {
	p, err := m.cfg.prepare(ev, now)
	if err != nil {
		return nil, err
	}
	r, err := m.resolve(ctx, "track", p.event.Subject, now)
	if err != nil {
		return nil, err
	}
	period := r.periodAt(p.event.Time)
	limit := r.limits[p.metric.Key]
	*ie = store.IngestEvent{
		Event: store.Event{
			Subject: p.event.Subject, ID: p.event.ID, User: p.event.User,
			Metric: p.event.Metric, Value: p.stored, Time: p.event.Time,
			Properties: p.event.Properties, Fingerprint: p.fingerprint(),
		},
		Quota: store.QuotaSpec{
			PeriodStart: period.Start, PeriodEnd: period.End,
			Aggregation: p.metric.Aggregation, Limit: limit.Limit,
			Unlimited: limit.Unlimited, AllowOverage: limit.AllowOverage,
			Distinct: p.distinct(), Alerts: r.alerts[p.metric.Key],
		},
		Dimensions: p.metric.dimensions(p.event.Properties),
	}
	return r, nil
}

// result is Track's answer for an event of metric from the store's outcome.
func result(ie *store.IngestEvent, metric Metric, r *resolved, o store.Outcome) BatchResult {
	switch o.Status {
	case store.StatusInserted:
		return BatchResult{TrackResult: TrackResult{
			Event:     eventFromStore(ie.Event, metric),
			UsedAfter: metric.quantity(o.UsedAfter),
			Period:    Period{Start: ie.Quota.PeriodStart, End: ie.Quota.PeriodEnd},
		}}
	case store.StatusDuplicate:
		// The event stored first may be of another period than the retry's Time.
		return BatchResult{TrackResult: TrackResult{
			Event:     eventFromStore(*o.Stored, metric),
			Replayed:  true,
			UsedAfter: metric.quantity(o.Stored.UsedAfter),
			Period:    r.periodAt(o.Stored.Time),
		}}
	case store.StatusConflict:
		return BatchResult{Err: &ConflictError{Subject: ie.Event.Subject, ID: ie.Event.ID}}
	case store.StatusOverflow:
		return BatchResult{Err: fmt.Errorf("usage: track: %s %s: used %s, adding %s leaves the range the metric's total can hold (see MaxValue and Metric.WholeUnits): %w",
			ie.Event.Subject, ie.Event.Metric, metric.quantity(o.UsedBefore), metric.quantity(ie.Event.Value), ErrOverflow)}
	default:
		return BatchResult{Err: &QuotaExceededError{
			Subject: ie.Event.Subject, Metric: ie.Event.Metric,
			Limit:     metric.quantity(o.Limit),
			Used:      metric.quantity(o.UsedBefore),
			Requested: requested(ie.Quota.Aggregation, metric.quantity(ie.Event.Value)),
			PeriodEnd: ie.Quota.PeriodEnd,
		}}
	}
}
