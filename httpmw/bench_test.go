package httpmw_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpmw"
	"github.com/usagekit/usage/internal/testdb"
)

// discardMeter counts the events handed to TrackBatch instead of storing them, so
// the benchmark measures the response path.
type discardMeter struct {
	*usage.Meter
	events, batches atomic.Int64
}

func (c *discardMeter) TrackBatch(ctx context.Context, events []usage.Event) ([]usage.BatchResult, error) {
	c.events.Add(int64(len(events)))
	c.batches.Add(1)
	if len(events) > len(allStored) {
		return make([]usage.BatchResult, len(events)), nil
	}
	return allStored[:len(events)], nil
}

// allStored is the result of a batch of events all stored; the middleware only
// reads it, so it is shared.
var allStored = make([]usage.BatchResult, httpmw.DefaultMaxBatch)

// benchWriter keeps the status and drops the body.
type benchWriter struct {
	header http.Header
	code   int
}

func (w *benchWriter) Header() http.Header { return w.header }
func (w *benchWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}
func (w *benchWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(p), nil
}

// BenchmarkHandler measures a request metered under a quota with overage: checked
// from memory, fields written, event queued and built by a worker. With one
// subject every lookup finds the same entries; with many, each goroutine goes
// through the subjects in turn, as the requests of a service's tenants interleave.
func BenchmarkHandler(b *testing.B) {
	for _, subjects := range []int{1, 1000} {
		b.Run(fmt.Sprintf("subjects=%d", subjects), func(b *testing.B) { benchmarkHandler(b, subjects) })
	}
}

func benchmarkHandler(b *testing.B, subjects int) {
	m := newMeter(b, testdb.SQLite())
	ctx := context.Background()
	if _, err := m.Track(ctx, usage.Event{Subject: "acme", Metric: calls, Value: 1}); err != nil {
		b.Fatal(err)
	}
	meter := &discardMeter{Meter: m}
	mw, err := httpmw.New(meter, subjectFromHeader, httpmw.WithMetric(calls))
	if err != nil {
		b.Fatal(err)
	}
	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }))
	reqs := make([]*http.Request, subjects)
	for i := range reqs {
		reqs[i] = httptest.NewRequest("GET", "/v1/search", nil)
		reqs[i].Header.Set("X-Tenant", fmt.Sprintf("tenant-%d", i))
	}
	// Each subject's assignment and quota are read from the store once, before
	// the timer starts: the benchmark measures the steady state.
	warm := &benchWriter{header: make(http.Header, 8)}
	for _, r := range reqs {
		h.ServeHTTP(warm, r)
	}
	var goroutine atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := &benchWriter{header: make(http.Header, 8)}
		// Goroutines start apart in the subjects, as distinct tenants' requests.
		for i := int(goroutine.Add(1)) * 7919; pb.Next(); i++ {
			clear(w.header)
			w.code = 0
			h.ServeHTTP(w, reqs[i%len(reqs)])
			if w.code != http.StatusOK {
				b.Errorf("status %d", w.code)
				return
			}
		}
	})
	b.StopTimer()
	if err := mw.Close(ctx); err != nil {
		b.Fatal(err)
	}
	if got, want := meter.events.Load(), int64(b.N+subjects); got != want {
		b.Fatalf("%d events stored of %d requests", got, want)
	}
	b.ReportMetric(float64(meter.events.Load())/float64(meter.batches.Load()), "events/batch")
}
