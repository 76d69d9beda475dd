package httpmw

import (
	"log/slog"
	"net/http"
	"time"
)

// Defaults of the options.
const (
	// DefaultRequestIDHeader is the header whose value becomes the event ID.
	DefaultRequestIDHeader = "Idempotency-Key"
	// DefaultQueueSize is the most requests recorded off the response path that may
	// be waiting to be stored.
	DefaultQueueSize = 8192
	// DefaultWorkers is the number of goroutines draining the queue into the Meter.
	DefaultWorkers = 2
	// DefaultMaxBatch is the most events one drain hands to Meter.TrackBatch.
	DefaultMaxBatch = 512
	// DefaultBatchWait is how long a worker holds a batch of events open for more
	// before handing it to the Meter.
	DefaultBatchWait = 10 * time.Millisecond
	// DefaultChargeTimeout bounds the Meter calls that retry while the database is
	// unavailable: the charge of exact limits before the handler, and the void or
	// amend after it. It is how long a request waits for the database to return.
	DefaultChargeTimeout = 5 * time.Second
)

// SubjectFunc returns who a request belongs to, from the host's authentication:
// the subject (tenant) and optionally the user. ok false means the request has no
// subject: it is served without metering, or refused with RefuseAnonymous.
type SubjectFunc func(r *http.Request) (subject, user string, ok bool)

// QueueFull is what a request does when the queue of events waiting to be stored is
// full.
type QueueFull int

const (
	// Block makes the request wait for room until its context ends, then answers
	// 503. The default.
	Block QueueFull = iota
	// Refuse answers 503 at once.
	Refuse
)

// Option configures a Middleware.
type Option func(*options)

type options struct {
	metric        string
	routes        map[string]string
	metricFunc    func(r *http.Request, route string) (string, bool)
	routeFunc     func(r *http.Request) string
	mux           *http.ServeMux
	cost          func(r *http.Request) float64
	idHeader      string
	charge        func(status int) bool
	refuseAnon    bool
	failOpen      bool
	strict        bool
	queueSize     int
	workers       int
	maxBatch      int
	batchWait     time.Duration
	queueFull     QueueFull
	chargeTimeout time.Duration
	ietf, legacy  bool
	logger        *slog.Logger
}

func defaults() options {
	return options{idHeader: DefaultRequestIDHeader, charge: DefaultCharge,
		queueSize: DefaultQueueSize, workers: DefaultWorkers, maxBatch: DefaultMaxBatch,
		batchWait:     DefaultBatchWait,
		chargeTimeout: DefaultChargeTimeout, ietf: true, legacy: true, logger: slog.Default()}
}

// DefaultCharge is the default charge policy: a response is charged unless its
// status is 401, 403, 429 or 5xx, which say the request was not served.
func DefaultCharge(status int) bool {
	switch {
	case status == http.StatusUnauthorized, status == http.StatusForbidden,
		status == http.StatusTooManyRequests, status >= 500:
		return false
	}
	return true
}

// WithMetric meters every request under metric, unless WithRoutes or
// WithMetricFunc names another.
func WithMetric(metric string) Option { return func(o *options) { o.metric = metric } }

// WithRoutes maps route patterns to metrics: a request whose route (see
// WithRouteFunc) is a key is metered under its value. Requests of other routes fall
// back to WithMetric, or are not metered.
func WithRoutes(routes map[string]string) Option {
	return func(o *options) { o.routes = routes }
}

// WithMetricFunc decides each request's metric from the request and its route; ok
// false means the request is not metered. It replaces WithRoutes and WithMetric.
func WithMetricFunc(f func(r *http.Request, route string) (metric string, ok bool)) Option {
	return func(o *options) { o.metricFunc = f }
}

// WithRouteFunc returns a request's route pattern, for routers other than
// http.ServeMux. By default the route is r.Pattern, set by http.ServeMux when the
// middleware wraps a handler registered on it, or found with WithServeMux.
//
// With chi, the middleware needs the whole pattern before the handler runs, which
// chi's route context holds only once routing is done. Ask the router instead, on
// the path chi routes by, which works wherever the middleware is mounted
// (router.Use, inside r.Route, or r.With):
//
//	func(r *http.Request) string {
//		path := r.URL.RawPath
//		if path == "" {
//			path = r.URL.Path
//		}
//		return router.Find(chi.NewRouteContext(), r.Method, path)
//	}
func WithRouteFunc(f func(r *http.Request) string) Option {
	return func(o *options) { o.routeFunc = f }
}

// WithServeMux lets a middleware that wraps a whole ServeMux find the pattern the
// mux will route the request to, before the mux has set r.Pattern.
func WithServeMux(mux *http.ServeMux) Option { return func(o *options) { o.mux = mux } }

// WithCost returns each request's cost before its handler runs: the amount checked
// against the quota and charged. Defaults to 1. A handler can change it with
// SetCost.
func WithCost(f func(r *http.Request) float64) Option { return func(o *options) { o.cost = f } }

// WithRequestIDHeader names the header whose value is the event ID, e.g.
// "X-Request-ID". Empty means IDs are always generated. Defaults to
// DefaultRequestIDHeader. A client that sends an ID again is not charged again:
// see the package doc on which endpoints should read it.
func WithRequestIDHeader(name string) Option { return func(o *options) { o.idHeader = name } }

// WithCharge sets the charge policy: whether a response with the status is charged.
// Defaults to DefaultCharge.
func WithCharge(f func(status int) bool) Option { return func(o *options) { o.charge = f } }

// RefuseAnonymous answers 401 to requests for which the SubjectFunc finds no
// subject, instead of serving them unmetered.
func RefuseAnonymous() Option { return func(o *options) { o.refuseAnon = true } }

// WithFailOpen serves requests whose quota cannot be checked or charged because the
// store is unavailable, recording them off the response path, instead of answering
// 503 (fail closed, the default).
func WithFailOpen() Option { return func(o *options) { o.failOpen = true } }

// WithStrict charges every metered request before its handler runs and refuses it
// when the charge fails, as for limits without overage.
func WithStrict() Option { return func(o *options) { o.strict = true } }

// WithQueue sets the size of the queue of events waiting to be stored and the
// number of goroutines draining it. Defaults to DefaultQueueSize and
// DefaultWorkers.
func WithQueue(size, workers int) Option {
	return func(o *options) { o.queueSize, o.workers = size, workers }
}

// WithBatchWait sets how long a worker that finds fewer than DefaultMaxBatch events
// waiting holds them for more before handing them to the Meter. Events are
// recorded after their response, so the wait adds nothing to a request; it lets a
// service at a steady pace store many events per commit instead of one, which
// takes far less of the CPU its requests share. Zero hands over what is waiting at
// once. Close stores what is waiting without the wait. Defaults to
// DefaultBatchWait.
func WithBatchWait(d time.Duration) Option { return func(o *options) { o.batchWait = d } }

// WithQueueFull sets what a request does when the queue is full. Defaults to Block.
func WithQueueFull(q QueueFull) Option { return func(o *options) { o.queueFull = q } }

// WithChargeTimeout bounds how long a request waits for its charge, and its
// correction, while the database is unavailable. Defaults to DefaultChargeTimeout.
func WithChargeTimeout(d time.Duration) Option { return func(o *options) { o.chargeTimeout = d } }

// WithoutRateLimitFields leaves out the IETF RateLimit and RateLimit-Policy fields.
func WithoutRateLimitFields() Option { return func(o *options) { o.ietf = false } }

// WithoutLegacyFields leaves out X-RateLimit-Limit, X-RateLimit-Remaining and
// X-RateLimit-Reset.
func WithoutLegacyFields() Option { return func(o *options) { o.legacy = false } }

// WithLogger receives the middleware's logs: events that could not be stored or
// corrected. Defaults to slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }
