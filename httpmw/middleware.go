package httpmw

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/usagekit/usage"
)

// Middleware meters and enforces quotas for the handlers it wraps. It is safe for
// concurrent use. Close it before the Meter, so its queued events are stored.
type Middleware struct {
	meter   Meter
	subject SubjectFunc
	o       options
	ids     *idSource
	queue   *queue
	stats   counters
	fields  fieldCache
	// idKey is the request ID header's canonical name, its key in http.Header.
	idKey string
}

// New returns a Middleware that meters with m the requests for which subject finds
// a subject and the options a metric. It starts the goroutines that store events
// recorded off the response path; Close stops them.
func New(m Meter, subject SubjectFunc, opts ...Option) (*Middleware, error) {
	if m == nil {
		return nil, errors.New("httpmw: nil Meter: pass the service's *usage.Meter")
	}
	if subject == nil {
		return nil, errors.New("httpmw: nil SubjectFunc: pass a function that reads the subject from the request's authentication")
	}
	o := defaults()
	for _, opt := range opts {
		opt(&o)
	}
	switch {
	case o.metric == "" && o.routes == nil && o.metricFunc == nil:
		return nil, errors.New("httpmw: no metric: use WithMetric, WithRoutes or WithMetricFunc")
	case o.queueSize < 1 || o.workers < 1 || o.maxBatch < 1:
		return nil, fmt.Errorf("httpmw: WithQueue(%d, %d): the size and the number of workers must be at least 1", o.queueSize, o.workers)
	case o.batchWait < 0:
		return nil, fmt.Errorf("httpmw: WithBatchWait(%s): the wait must not be negative", o.batchWait)
	case o.chargeTimeout <= 0:
		return nil, errors.New("httpmw: WithChargeTimeout: the timeout must be positive")
	case o.charge == nil || o.logger == nil:
		return nil, errors.New("httpmw: WithCharge and WithLogger need a non-nil argument")
	}
	mw := &Middleware{meter: m, subject: subject, o: o, ids: newIDSource(), idKey: http.CanonicalHeaderKey(o.idHeader)}
	mw.queue = newQueue(m, &mw.stats, mw.ids, &mw.o)
	return mw, nil
}

// Close stops recording: requests that arrive after it are answered 503, and Close
// returns once the events of the requests served before it are stored. If ctx ends
// first, it abandons the Meter calls in progress and returns ctx's error; their
// events are counted in Stats.Failed. Close does not close the Meter.
func (mw *Middleware) Close(ctx context.Context) error { return mw.queue.close(ctx) }

// Stats returns the middleware's counters.
func (mw *Middleware) Stats() Stats { return mw.stats.snapshot() }

// Handler returns next wrapped with metering and enforcement.
func (mw *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { mw.serve(w, r, next) })
}

// call is one metered request in one allocation: the context its handler gets,
// which carries the state the handler may change, the request that carries that
// context (a shallow copy, as Request.WithContext makes, without a second
// allocation), its response writer and the values of its rate-limit fields.
type call struct {
	context.Context
	req    http.Request
	rw     responseWriter
	state  requestState
	fields limitFields
}

// Value returns the request's state for stateKey, and otherwise what the request's
// own context holds. A context derived from it finds its parent's cancellation
// through Value, as from a context.WithValue.
func (c *call) Value(key any) any {
	if key == (stateKey{}) {
		return &c.state
	}
	return c.Context.Value(key)
}

// route returns the request's route pattern.
func (mw *Middleware) route(r *http.Request) string {
	if mw.o.routeFunc != nil {
		return mw.o.routeFunc(r)
	}
	if r.Pattern == "" && mw.o.mux != nil {
		_, p := mw.o.mux.Handler(r)
		return p
	}
	return r.Pattern
}

// metric returns the request's metric; ok false means it is not metered.
func (mw *Middleware) metric(r *http.Request, route string) (string, bool) {
	if mw.o.metricFunc != nil {
		return mw.o.metricFunc(r, route)
	}
	if m, ok := mw.o.routes[route]; ok {
		return m, true
	}
	return mw.o.metric, mw.o.metric != ""
}

func (mw *Middleware) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	subject, user, ok := mw.subject(r)
	if !ok {
		if mw.o.refuseAnon {
			writeProblem(w, &Problem{Status: http.StatusUnauthorized, Detail: "this endpoint needs an authenticated subject"})
			return
		}
		next.ServeHTTP(w, r)
		return
	}
	route := mw.route(r)
	metric, ok := mw.metric(r, route)
	if !ok {
		next.ServeHTTP(w, r)
		return
	}
	cost := 1.0
	if mw.o.cost != nil {
		cost = mw.o.cost(r)
	}
	id := ""
	if mw.idKey != "" {
		if v := r.Header[mw.idKey]; len(v) > 0 && usableID(v[0]) {
			id = v[0]
		}
	}
	ev := usage.Event{ID: id, Subject: subject, User: user, Metric: metric, Value: cost}

	q, err := mw.meter.CheckQuota(r.Context(), subject, metric, cost)
	if err != nil {
		if !mw.o.failOpen || !unavailable(err) {
			mw.fail(w, err)
			return
		}
		q = usage.QuotaStatus{Unlimited: true, Allowed: true}
	}
	start := requestStart(q.At)
	if !q.Allowed {
		mw.throttle(w, start, q.Metric, q.Used.Float64(), q.Limit.Float64(), q.Period)
		return
	}
	limited := !q.Unlimited
	ls := limitState{metric: metric, limit: q.Limit.Float64(),
		remaining: q.Remaining.Float64() - cost, window: q.Period.End.Sub(q.Period.Start),
		reset: q.Period.End.Sub(start), resetAt: q.Period.End}

	// Charged before the handler: exact limits, and every request in strict mode.
	charged, replayed := false, false
	if err == nil && (mw.o.strict || (limited && !q.AllowOverage)) {
		var proceed bool
		if charged, replayed, proceed = mw.chargeFirst(w, r, &ev, route, &q, &ls, start); !proceed {
			return
		}
		if r.Context().Err() != nil {
			// The client left, or a timeout answered, while the charge was stored:
			// the handler's work would reach nobody.
			if charged && !replayed {
				mw.void(r.Context(), &ev, "httpmw: the request ended while it was charged")
			}
			writeProblem(w, &Problem{Status: http.StatusServiceUnavailable,
				Detail: "the request ended before its handler ran"})
			return
		}
	}
	if !charged {
		if err := mw.queue.reserve(r.Context()); err != nil {
			writeProblem(w, &Problem{Status: http.StatusServiceUnavailable,
				Detail: "usage recording is saturated or stopping; retry shortly"})
			return
		}
	}
	c := &call{Context: r.Context(), rw: responseWriter{ResponseWriter: w}, state: requestState{cost: cost, stored: charged}}
	if limited {
		mw.setLimitFields(w.Header(), &ls, c.fields[:], false)
	}
	done := false
	defer func() {
		if !done {
			// The handler panicked (or called runtime.Goexit): nothing is charged and
			// the panic goes on as it would without the middleware.
			mw.settle(r.Context(), c, &ev, route, r.Method, start, charged, replayed, false)
		}
	}()
	// WithContext is inlined and its copy does not escape: the request lives in c.
	c.req = *r.WithContext(c)
	next.ServeHTTP(&c.rw, &c.req)
	done = true
	c.rw.finish(r.Context())
	mw.settle(r.Context(), c, &ev, route, r.Method, start, charged, replayed, mw.o.charge(c.rw.statusCode()))
}

// chargeFirst charges a request's event before its handler runs, and counts the
// charge. It reports whether the request goes on to its handler; if not, it has
// answered it. Apart from serve, whose frame every metered request pays for.
func (mw *Middleware) chargeFirst(w http.ResponseWriter, r *http.Request, ev *usage.Event, route string,
	q *usage.QuotaStatus, ls *limitState, start time.Time) (charged, replayed, proceed bool) {
	generated := ev.ID == ""
	if generated {
		ev.ID = mw.ids.next()
	}
	res, err := mw.charge(r.Context(), *ev, route, r.Method)
	var qe *usage.QuotaExceededError
	switch {
	case err == nil:
		ls.remaining = q.Limit.Float64() - res.UsedAfter.Float64()
		if res.Replayed {
			mw.stats.duplicates.Add(1)
		} else {
			mw.stats.charged.Add(1)
		}
		return true, res.Replayed, true
	case errors.As(err, &qe):
		mw.throttle(w, start, ev.Metric, qe.Used.Float64(), qe.Limit.Float64(), q.Period)
	case errors.Is(err, usage.ErrEventConflict):
		writeProblem(w, &Problem{Status: http.StatusUnprocessableEntity,
			Detail: "the request ID " + mw.o.idHeader + " was already used for another request"})
	case mw.o.failOpen && unavailable(err):
		// Served, and recorded off the response path once the store is back.
		return false, false, true
	default:
		mw.fail(w, err)
		// The charge may still be stored. A client's own ID is left to its retry,
		// which that charge then pays for; a generated one no retry can reuse.
		if inFlight(err) && generated {
			// The client has its answer before the charge is settled.
			_ = http.NewResponseController(w).Flush()
			mw.voidUnconfirmed(r.Context(), *ev, route, r.Method)
		}
	}
	return false, false, false
}

// requestStart returns the time a request's latency is measured from: the Meter's
// time of its quota check, which saves reading the clock again, unless that time
// has no monotonic reading (a test clock, or no answer) and the clock must be read.
func requestStart(checked time.Time) time.Time {
	// Round(0) strips the monotonic reading, so only a time without one is unchanged.
	if checked.IsZero() || checked == checked.Round(0) {
		return time.Now()
	}
	return checked
}

// charge tracks ev before the handler runs, waiting at most the charge timeout. A
// client that leaves meanwhile does not end the wait: the charge's outcome is
// known, and voided after the handler if the response is not charged.
func (mw *Middleware) charge(ctx context.Context, ev usage.Event, route, method string) (usage.TrackResult, error) {
	ev.Properties = map[string]string{propMethod: methodProperty(method)}
	if route != "" {
		ev.Properties[propRoute] = route
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), mw.o.chargeTimeout)
	defer cancel()
	return mw.meter.Track(ctx, ev)
}

// voidUnconfirmed voids the charge of a request answered without its handler
// because the charge was not confirmed in time: the event may still be stored.
// Tracking it again waits for its outcome (an event is stored once per ID); if it
// is stored, the charge is voided.
func (mw *Middleware) voidUnconfirmed(ctx context.Context, ev usage.Event, route, method string) {
	if _, err := mw.charge(ctx, ev, route, method); err != nil {
		if !errors.Is(err, usage.ErrQuotaExceeded) {
			mw.stats.failed.Add(1)
			mw.o.logger.Error("httpmw: the charge of a request answered 503 may stand", "subject", ev.Subject,
				"id", ev.ID, "err", err)
		}
		return
	}
	mw.correct(ctx, voidOf(&ev, "httpmw: the charge was not confirmed before the request was answered 503"))
}

// settle records the outcome of a served request: its event is queued, or its
// charge voided or amended, or its slot released.
func (mw *Middleware) settle(ctx context.Context, c *call, ev *usage.Event, route, method string,
	start time.Time, charged, replayed, chargeable bool) {
	cost, props := ev.Value, map[string]string(nil)
	if c.state.changed.Load() {
		c.state.mu.Lock()
		cost, props = c.state.cost, c.state.props
		c.state.mu.Unlock()
	}
	switch {
	case charged && replayed:
	case charged && !chargeable:
		mw.void(ctx, ev, fmt.Sprintf("httpmw: response %d is not charged", c.rw.statusCode()))
	case charged && cost != ev.Value:
		mw.correct(ctx, usage.Correction{ID: ev.ID + ":cost", Subject: ev.Subject, EventID: ev.ID,
			Kind: usage.CorrectionAmend, Value: cost, Reason: "httpmw: the handler set the request's cost"})
	case charged:
	case !chargeable:
		mw.stats.notCharged.Add(1)
		mw.queue.release()
	default:
		ev.Value = cost
		mw.queue.put(record{ev: *ev, route: route, method: method, status: c.rw.statusCode(),
			latency: time.Since(start), bytes: c.rw.bytes, props: props})
	}
}

// void voids the charge of a request that is not charged after all, and counts it
// so.
func (mw *Middleware) void(ctx context.Context, ev *usage.Event, reason string) {
	mw.stats.charged.Add(-1)
	mw.stats.notCharged.Add(1)
	mw.correct(ctx, voidOf(ev, reason))
}

// voidOf is the correction that voids ev's charge. Its ID is derived from the
// event's, so a void applied twice is applied once.
func voidOf(ev *usage.Event, reason string) usage.Correction {
	return usage.Correction{ID: ev.ID + ":void", Subject: ev.Subject, EventID: ev.ID,
		Kind: usage.CorrectionVoid, Reason: reason}
}

// correct applies a correction after the handler, even when the request's context
// has ended, waiting at most the charge timeout.
func (mw *Middleware) correct(ctx context.Context, c usage.Correction) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), mw.o.chargeTimeout)
	defer cancel()
	if _, err := mw.meter.Correct(ctx, c); err != nil {
		if errors.Is(err, usage.ErrQuotaExceeded) {
			mw.stats.refused.Add(1)
		} else {
			mw.stats.failed.Add(1)
		}
		mw.o.logger.Error("httpmw: correction of a charged request failed", "subject", c.Subject,
			"id", c.EventID, "kind", c.Kind, "err", err)
	}
}

// throttle answers 429 for a quota at used of limit in period.
func (mw *Middleware) throttle(w http.ResponseWriter, now time.Time, metric string, used, limit float64, period usage.Period) {
	mw.stats.throttled.Add(1)
	ls := limitState{metric: metric, limit: limit, remaining: limit - used,
		window: period.End.Sub(period.Start), reset: period.End.Sub(now), resetAt: period.End}
	mw.setLimitFields(w.Header(), &ls, make([]string, len(limitFields{})+1), true)
	writeProblem(w, quotaProblem(metric, used, limit, period.End,
		fmt.Sprintf("The %s quota is used up: %g of %g this period. It resets at %s.",
			metric, used, limit, period.End.UTC().Format(time.RFC3339))))
}

// fail answers a request whose quota could not be checked or charged.
func (mw *Middleware) fail(w http.ResponseWriter, err error) {
	p := &Problem{Status: http.StatusInternalServerError, Detail: "usage metering failed"}
	switch {
	case errors.Is(err, context.Canceled):
		p.Status, p.Detail = http.StatusServiceUnavailable, "the request ended before its quota was checked"
	case unavailable(err):
		p.Status, p.Detail = http.StatusServiceUnavailable, "usage metering is unavailable; retry shortly"
		w.Header().Set(headerRetryAfter, "1")
	case errors.Is(err, usage.ErrNoPlan), errors.Is(err, usage.ErrUnknownPlan):
		p.Status, p.Detail = http.StatusForbidden, "the subject has no plan that covers this request"
	case errors.Is(err, usage.ErrInvalidEvent):
		p.Status, p.Detail = http.StatusBadRequest, err.Error()
	default:
		mw.o.logger.Error("httpmw: quota check failed", "err", err)
	}
	writeProblem(w, p)
}

// unavailable reports whether err says the store could not answer in time.
func unavailable(err error) bool {
	return errors.Is(err, usage.ErrUnavailable) || errors.Is(err, usage.ErrOverloaded) ||
		errors.Is(err, usage.ErrClosed) || errors.Is(err, context.DeadlineExceeded)
}
