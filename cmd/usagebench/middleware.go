package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-chi/httprate"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpmw"
)

// runMiddleware measures, in one run and with as many goroutines as GOMAXPROCS, a
// bare handler, the same handler behind httpmw (quota checked from memory, fields
// written, event recorded) and behind go-chi/httprate's LimitByIP.
//
// httpmw is measured twice. op=middleware is what a user runs: httpmw with its
// defaults on a Meter that stores every event, so the figure includes the commits,
// which share the CPUs. op=middleware_response_path hands the events to a Meter
// that counts them and stores nothing: the share of the response path alone, shown
// beside the user's figure, not instead of it.
func runMiddleware(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("middleware", flag.ContinueOnError)
	kind := fs.String("store", "sqlite", "store: sqlite or postgres")
	dsn := fs.String("dsn", "", "Postgres DSN (default "+defaultDSN+")")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of op=middleware_response_path to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
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
	measure := func(h http.Handler) testing.BenchmarkResult {
		return testing.Benchmark(func(b *testing.B) {
			b.ReportAllocs()
			var client atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				r := httptest.NewRequest("GET", "/v1/search", nil)
				r.RemoteAddr = fmt.Sprintf("10.0.%d.1:4000", client.Add(1))
				w := &discardWriter{header: make(http.Header, 8)}
				for pb.Next() {
					clear(w.header)
					w.code = 0
					h.ServeHTTP(w, r)
					if w.code != http.StatusOK {
						failure.Store(fmt.Errorf("status %d", w.code))
					}
				}
			})
		})
	}
	bare := measure(handler)

	mw, err := httpmw.New(counting, subject, httpmw.WithMetric(usage.MetricAPICalls))
	if err != nil {
		return err
	}
	var prof *os.File
	if *cpuprofile != "" {
		if prof, err = os.Create(*cpuprofile); err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(prof); err != nil {
			return err
		}
	}
	metered := measure(mw.Handler(handler))
	if prof != nil {
		pprof.StopCPUProfile()
		if err := prof.Close(); err != nil {
			return err
		}
	}
	if err := mw.Close(ctx); err != nil {
		return err
	}

	mw, err = httpmw.New(m, subject, httpmw.WithMetric(usage.MetricAPICalls))
	if err != nil {
		return err
	}
	stored := measure(mw.Handler(handler))
	if err := mw.Close(ctx); err != nil {
		return err
	}
	if s := mw.Stats(); s.Failed+s.Invalid+s.Refused > 0 {
		return fmt.Errorf("events not stored: %+v", s)
	}

	//lint:ignore SA1019 LimitByIP is the limiter services use today, the one to compare with.
	limited := measure(httprate.LimitByIP(1<<30, time.Hour)(handler))
	if err, ok := failure.Load().(error); ok {
		return err
	}

	over := func(r testing.BenchmarkResult) (int64, int64) {
		return r.NsPerOp() - bare.NsPerOp(), r.AllocsPerOp() - bare.AllocsPerOp()
	}
	ops := []struct {
		op string
		r  testing.BenchmarkResult
	}{{"bare", bare}, {"middleware", stored}, {"middleware_response_path", metered}, {"httprate", limited}}
	for _, x := range ops {
		ns, allocs := over(x.r)
		fmt.Fprintf(out, "%-24s %6d ns/op %3d allocs/op  (over bare: %5d ns, %2d allocs)\n", x.op, x.r.NsPerOp(), x.r.AllocsPerOp(), ns, allocs)
	}
	fmt.Fprintf(out, "events counted on the response path: %d; stored: %d\n", counting.events.Load(), mw.Stats().Charged)
	for _, x := range ops {
		fmt.Fprintf(out, "RESULT bench=middleware store=%s op=%s ns_per_op=%d allocs_per_op=%d\n", *kind, x.op, x.r.NsPerOp(), x.r.AllocsPerOp())
	}
	return nil
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
