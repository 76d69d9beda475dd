package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-chi/httprate"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpmw"
)

// runMiddleware measures, in one run, a bare handler, the same handler behind
// httpmw (quota checked from memory, fields written, event recorded) and behind
// go-chi/httprate's LimitByIP, in two ways.
//
// In a closed loop (testing.Benchmark, GOMAXPROCS goroutines each sending its next
// request as soon as the last is answered), httpmw is measured twice.
// op=middleware is httpmw with its defaults on a Meter that stores every event: as
// many requests as the loop can send outrun the store, the queue fills and the
// figure is the rate at which the store commits events, not what a request costs.
// op=middleware_response_path hands the events to a Meter that counts them and
// stores nothing: the cost of the response path and of building the events.
//
// Paced (bench=middleware_paced, mode=paced), requests arrive at a fixed rate the store sustains, and each
// ServeHTTP call is timed: op=middleware is then what a request of a user on the
// defaults (every event stored) waits for, and its overhead over op=bare is the
// middleware's.
func runMiddleware(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("middleware", flag.ContinueOnError)
	kind := fs.String("store", "sqlite", "store: sqlite or postgres")
	dsn := fs.String("dsn", "", "Postgres DSN (default "+defaultDSN+")")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of op=middleware_response_path to this file")
	var p pace
	fs.Float64Var(&p.rate, "rate", 5000, "paced runs: requests per second")
	fs.DurationVar(&p.d, "for", 3*time.Second, "paced runs: how long each op is run")
	fs.IntVar(&p.clients, "clients", 8, "paced runs: client goroutines sharing the rate")
	batchWait := fs.Duration("batch-wait", httpmw.DefaultBatchWait, "httpmw.WithBatchWait")
	interleave := fs.Bool("interleave", false, "paced runs: the ops take turns request by request in one run (see runPacedTurns), instead of each running alone")
	fields := fs.String("fields", "default", "the rate-limit fields the two middlewares write: default (each its defaults: httpmw five, httprate three), legacy (both the three X-RateLimit fields) or none")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fieldOpts, limiterOpts, err := fieldOptions(*fields)
	if err != nil {
		return err
	}
	opts := append([]httpmw.Option{httpmw.WithMetric(usage.MetricAPICalls), httpmw.WithBatchWait(*batchWait)}, fieldOpts...)
	ctx := context.Background()
	// A quota with overage: checked from memory, fields on every response, never
	// refused, each request recorded after its response.
	m, closeMeter, err := openExampleMeter(ctx, *kind, *dsn, "professional", 1)
	if err != nil {
		return err
	}
	defer closeMeter()

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(okBody) })
	subject := func(r *http.Request) (string, string, bool) { return "acme", "", true }
	counting := &countingMeter{Meter: m}
	var failure atomic.Value
	measure := func(h http.Handler) closedResult {
		var cpu time.Duration
		r := testing.Benchmark(func(b *testing.B) {
			b.ReportAllocs()
			var client atomic.Int64
			c0 := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				r, w := benchRequest(int(client.Add(1)))
				for pb.Next() {
					clear(w.header)
					w.code = 0
					h.ServeHTTP(w, r)
					if w.code != http.StatusOK {
						failure.Store(fmt.Errorf("status %d", w.code))
					}
				}
			})
			// The last call is the one whose b.N the result reports.
			cpu = cpuTime() - c0
		})
		return closedResult{r, cpu}
	}
	bare := measure(handler)

	mw, err := httpmw.New(counting, subject, opts...)
	if err != nil {
		return err
	}
	stopProfile, err := startCPUProfile(*cpuprofile)
	if err != nil {
		return err
	}
	metered := measure(mw.Handler(handler))
	stopProfile()
	if err := mw.Close(ctx); err != nil {
		return err
	}

	stored := 0
	// storing runs a measurement of httpmw on the Meter that stores every event;
	// run may close the middleware itself, which a second Close does not mind.
	storing := func(run func(h http.Handler, close func() error) error) error {
		mw, err := httpmw.New(m, subject, opts...)
		if err != nil {
			return err
		}
		if err := run(mw.Handler(handler), func() error { return mw.Close(ctx) }); err != nil {
			return err
		}
		if err := mw.Close(ctx); err != nil {
			return err
		}
		if s := mw.Stats(); s.Failed+s.Invalid+s.Refused > 0 {
			return fmt.Errorf("events not stored: %+v", s)
		}
		stored += int(mw.Stats().Charged)
		return nil
	}
	var storeBound closedResult
	if err := storing(func(h http.Handler, _ func() error) error { storeBound = measure(h); return nil }); err != nil {
		return err
	}

	// One limiter for both loops: its counters are per client address and window,
	// so the paced run starts on the closed loop's counts, far from its limit.
	// LimitByIP's limiter, with its response headers left out by -fields none.
	//lint:ignore SA1019 LimitByIP's key is the one services use today, the one to compare with.
	limiter := httprate.LimitBy(1<<30, time.Hour, httprate.KeyByIP, limiterOpts...)
	limited := measure(limiter(handler))
	if err, ok := failure.Load().(error); ok {
		return err
	}

	closed := []struct {
		op, label string
		r         closedResult
	}{{"bare", "bare", bare}, {"middleware", "middleware (store-bound)", storeBound},
		{"middleware_response_path", "middleware_response_path", metered}, {"httprate", "httprate", limited}}
	fmt.Fprintf(out, "closed loop, %d goroutines (cpu: the process's CPU time per request)\n", runtime.GOMAXPROCS(0))
	for _, x := range closed {
		fmt.Fprintf(out, "%-26s %6d ns/op %6d cpu_ns/op %4d B/op %3d allocs/op  (over bare: %5d ns, %2d allocs)\n",
			x.label, x.r.NsPerOp(), x.r.cpuPerOp(), x.r.AllocedBytesPerOp(), x.r.AllocsPerOp(),
			x.r.NsPerOp()-bare.NsPerOp(), x.r.AllocsPerOp()-bare.AllocsPerOp())
	}
	fmt.Fprintf(out, "store-bound: %.0f requests/s stored; events counted on the response path: %d\n",
		1e9/float64(storeBound.NsPerOp()), counting.events.Load())

	for _, x := range closed {
		fmt.Fprintf(out, "RESULT bench=middleware store=%s mode=closed batch_wait=%s fields=%s op=%s ns_per_op=%d cpu_ns_per_op=%d bytes_per_op=%d allocs_per_op=%d\n",
			*kind, *batchWait, *fields, x.op, x.r.NsPerOp(), x.r.cpuPerOp(), x.r.AllocedBytesPerOp(), x.r.AllocsPerOp())
	}
	if *interleave {
		if mw, err = httpmw.New(counting, subject, opts...); err != nil {
			return err
		}
		return runInterleaved(out, *kind, *batchWait, *fields, p, handler, mw.Handler(handler), func() error { return mw.Close(ctx) },
			limiter(handler), storing)
	}
	// Paced: the same handlers, each over its own time slot at the same rate.
	pacedOps := []string{"bare", "middleware", "middleware_response_path", "httprate"}
	paced := make([]pacedResult, len(pacedOps))
	if paced[0], err = runPaced(handler, p, nil); err != nil {
		return err
	}
	if err := storing(func(h http.Handler, close func() error) error {
		var err error
		paced[1], err = runPaced(h, p, close)
		return err
	}); err != nil {
		return err
	}
	if mw, err = httpmw.New(counting, subject, opts...); err != nil {
		return err
	}
	if paced[2], err = runPaced(mw.Handler(handler), p, func() error { return mw.Close(ctx) }); err != nil {
		return err
	}
	if paced[3], err = runPaced(limiter(handler), p, nil); err != nil {
		return err
	}
	fmt.Fprintf(out, "paced, %s (time in ServeHTTP per request; allocs: the process's per request)\n", p)
	for i, r := range paced {
		fmt.Fprintf(out, "%-26s %5.0f req/s  mean %6d ns  p50 %6d ns  p99 %7d ns  cpu %6d ns/req  %5.1f allocs/req  (over bare: mean %6d ns, p50 %6d ns)\n",
			pacedOps[i], r.rate, r.mean.Nanoseconds(), r.p50.Nanoseconds(), r.p99.Nanoseconds(), r.cpu.Nanoseconds(), r.allocs,
			(r.mean - paced[0].mean).Nanoseconds(), (r.p50 - paced[0].p50).Nanoseconds())
	}
	fmt.Fprintf(out, "events stored: %d\n", stored)

	for i, r := range paced {
		fmt.Fprintf(out, "RESULT bench=middleware_paced store=%s mode=paced batch_wait=%s fields=%s op=%s rate=%.0f clients=%d requests=%d achieved_per_s=%.0f mean_ns=%d p50_ns=%d p99_ns=%d cpu_ns_per_req=%d allocs_per_req=%.1f over_bare_mean_ns=%d over_bare_p50_ns=%d\n",
			*kind, *batchWait, *fields, pacedOps[i], p.rate, p.clients, r.requests, r.rate, r.mean.Nanoseconds(), r.p50.Nanoseconds(), r.p99.Nanoseconds(), r.cpu.Nanoseconds(), r.allocs,
			(r.mean - paced[0].mean).Nanoseconds(), (r.p50 - paced[0].p50).Nanoseconds())
	}
	return nil
}

// fieldOptions returns the options with which httpmw and httprate write the
// rate-limit fields of -fields: each its defaults (httpmw the IETF and legacy
// fields, httprate the legacy ones), both the legacy ones only, or none.
func fieldOptions(fields string) ([]httpmw.Option, []httprate.Option, error) {
	switch fields {
	case "default":
		return nil, nil, nil
	case "legacy":
		return []httpmw.Option{httpmw.WithoutRateLimitFields()}, nil, nil
	case "none":
		return []httpmw.Option{httpmw.WithoutRateLimitFields(), httpmw.WithoutLegacyFields()},
			[]httprate.Option{httprate.WithResponseHeaders(httprate.ResponseHeaders{})}, nil
	}
	return nil, nil, fmt.Errorf("-fields %q: want default, legacy or none", fields)
}

// runInterleaved is runMiddleware's paced part with -interleave: two runs in
// which the ops take turns request by request (see runPacedTurns). In the first,
// counted is httpmw handing its events to the counting Meter (closeCounted closes
// it), so nothing is stored and the three ops differ only by their response
// paths. In the second, httpmw stores every event, as a user's does: the commits
// run throughout, beside all three.
func runInterleaved(out io.Writer, kind string, batchWait time.Duration, fields string, p pace, bare, counted http.Handler, closeCounted func() error,
	limited http.Handler, storing func(run func(h http.Handler, close func() error) error) error) error {
	responsePath, err := runPacedTurns([]http.Handler{bare, counted, limited}, p, closeCounted)
	if err != nil {
		return err
	}
	var stored []pacedResult
	if err := storing(func(h http.Handler, close func() error) error {
		stored, err = runPacedTurns([]http.Handler{bare, h, limited}, p, close)
		return err
	}); err != nil {
		return err
	}
	for _, set := range []struct {
		name string
		ops  []string
		rs   []pacedResult
	}{{"response_path", []string{"bare", "middleware_response_path", "httprate"}, responsePath},
		{"stored", []string{"bare", "middleware", "httprate"}, stored}} {
		fmt.Fprintf(out, "paced in turns (%s), %s (time in ServeHTTP per request)\n", set.name, p)
		for i, r := range set.rs {
			fmt.Fprintf(out, "%-26s %5.0f req/s  mean %6d ns  p50 %6d ns  p99 %7d ns  (over bare: mean %6d ns, p50 %6d ns)\n",
				set.ops[i], r.rate, r.mean.Nanoseconds(), r.p50.Nanoseconds(), r.p99.Nanoseconds(),
				(r.mean - set.rs[0].mean).Nanoseconds(), (r.p50 - set.rs[0].p50).Nanoseconds())
		}
		for i, r := range set.rs {
			fmt.Fprintf(out, "RESULT bench=middleware_interleaved store=%s set=%s batch_wait=%s fields=%s op=%s rate=%.0f clients=%d requests=%d mean_ns=%d p50_ns=%d p99_ns=%d over_bare_mean_ns=%d over_bare_p50_ns=%d\n",
				kind, set.name, batchWait, fields, set.ops[i], p.rate, p.clients, r.requests, r.mean.Nanoseconds(), r.p50.Nanoseconds(), r.p99.Nanoseconds(),
				(r.mean - set.rs[0].mean).Nanoseconds(), (r.p50 - set.rs[0].p50).Nanoseconds())
		}
	}
	return nil
}

// closedResult is a closed-loop benchmark's result with the process's CPU time
// over its last run.
type closedResult struct {
	testing.BenchmarkResult
	cpu time.Duration
}

func (r closedResult) cpuPerOp() int64 {
	if r.N == 0 {
		return 0
	}
	return r.cpu.Nanoseconds() / int64(r.N)
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchRequest is the request and response writer of client c: each client has
// its own address, so httprate counts each apart as it would distinct callers.
func benchRequest(c int) (*http.Request, *discardWriter) {
	r := httptest.NewRequest("GET", "/v1/search", nil)
	r.RemoteAddr = fmt.Sprintf("10.0.%d.%d:4000", c/250, c%250+1)
	return r, &discardWriter{header: make(http.Header, 8)}
}

var okBody = []byte("ok")

// countingMeter answers quota checks from the Meter and counts the events handed to
// TrackBatch instead of storing them.
type countingMeter struct {
	*usage.Meter
	events atomic.Int64
}

// allStored is the result of a batch of events all stored; the middleware only reads
// it, so it is shared, and the stand-in for the store allocates nothing per call.
var allStored = make([]usage.BatchResult, httpmw.DefaultMaxBatch)

func (c *countingMeter) TrackBatch(ctx context.Context, events []usage.Event) ([]usage.BatchResult, error) {
	c.events.Add(int64(len(events)))
	if len(events) > len(allStored) {
		return make([]usage.BatchResult, len(events)), nil
	}
	return allStored[:len(events)], nil
}

// discardWriter is a ResponseWriter that keeps the status and drops the body, so
// the measurement is the handler chain's, not a recorder's.
type discardWriter struct {
	header http.Header
	code   int
}

func (w *discardWriter) Header() http.Header { return w.header }
func (w *discardWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}
func (w *discardWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(p), nil
}
