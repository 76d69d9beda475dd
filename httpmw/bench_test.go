package httpmw_test

import (
	"context"
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
// from memory, fields written, event queued and built by a worker.
func BenchmarkHandler(b *testing.B) {
	m := newMeter(b, testdb.SQLite())
	ctx := context.Background()
	if _, err := m.Track(ctx, usage.Event{Subject: "acme", Metric: calls, Value: 1}); err != nil {
		b.Fatal(err)
	}
	meter := &discardMeter{Meter: m}
	mw, err := httpmw.New(meter, func(*http.Request) (string, string, bool) { return "acme", "", true },
		httpmw.WithMetric(calls))
	if err != nil {
		b.Fatal(err)
	}
	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := httptest.NewRequest("GET", "/v1/search", nil)
		w := &benchWriter{header: make(http.Header, 8)}
		for pb.Next() {
			clear(w.header)
			w.code = 0
			h.ServeHTTP(w, r)
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
	if got := meter.events.Load(); got != int64(b.N) {
		b.Fatalf("%d events stored of %d requests", got, b.N)
	}
	b.ReportMetric(float64(meter.events.Load())/float64(meter.batches.Load()), "events/batch")
}
