package usage_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/store/sqlite"
)

// BenchmarkTrack measures Track on the embedded SQLite store with 64 goroutines per
// CPU sharing transactions through group commit. Each op is one durable, deduplicated
// event checked against a quota; cmd/usagebench ingest measures the same on Postgres.
func BenchmarkTrack(b *testing.B) {
	benchParallel(b, func(ctx context.Context, m *usage.Meter, pb *testing.PB, event func() usage.Event) {
		for pb.Next() {
			if _, err := m.Track(ctx, event()); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkTrackBatch measures TrackBatch of 100 events for 100 tenants on the
// embedded SQLite store, with 64 goroutines per CPU. Each op is one event; cmd/usagebench
// ingest -batch 100 measures the same on Postgres.
func BenchmarkTrackBatch(b *testing.B) { benchBatches(b, false) }

// BenchmarkTrackBatchWithReplays is BenchmarkTrackBatch with one event of each
// producer's previous batch sent again in its next, as a client retrying a call
// whose answer it lost would: a commit of many batches nearly always holds one.
func BenchmarkTrackBatchWithReplays(b *testing.B) { benchBatches(b, true) }

// benchBatches tracks batches of 100 events from each producer; with replay, the
// last event of each batch but the first is the first of the one before.
func benchBatches(b *testing.B, replay bool) {
	benchParallel(b, func(ctx context.Context, m *usage.Meter, pb *testing.PB, event func() usage.Event) {
		batch := make([]usage.Event, 0, 100)
		fresh := cap(batch)
		if replay {
			fresh--
		}
		var again usage.Event
		flush := func() {
			if again.ID != "" {
				batch = append(batch, again)
			}
			if replay {
				again = batch[0]
			}
			res, err := m.TrackBatch(ctx, batch)
			if err != nil {
				b.Error(err)
			}
			for _, r := range res {
				if r.Err != nil {
					b.Error(r.Err)
				}
			}
			if replay && len(batch) == cap(batch) && !res[len(res)-1].Replayed {
				b.Error("the event sent again was not replayed")
			}
			batch = batch[:0]
		}
		for pb.Next() {
			if batch = append(batch, event()); len(batch) == fresh {
				flush()
			}
		}
		if len(batch) > 0 {
			flush()
		}
	})
}

// benchParallel runs body in 64 goroutines per CPU on a Meter over a fresh SQLite
// file, with one metered metric whose limit, far above what a run uses, is checked
// for every event. event returns a new event each time, for one of 100 tenants.
func benchParallel(b *testing.B, body func(ctx context.Context, m *usage.Meter, pb *testing.PB, event func() usage.Event)) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	m, err := usage.New(st, &usage.Config{
		Metrics:     []usage.Metric{{Key: "api_calls"}},
		Plans:       []usage.Plan{{Key: "bench", Limits: map[string]usage.Limit{"api_calls": {Included: 1e11}}}},
		DefaultPlan: "bench",
	})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close(ctx)
	var next atomic.Int64
	event := func() usage.Event {
		i := next.Add(1)
		return usage.Event{ID: fmt.Sprint("e", i), Subject: fmt.Sprint("tenant-", i%100), Metric: "api_calls", Value: 1}
	}
	b.ReportAllocs()
	b.SetParallelism(64)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) { body(ctx, m, pb, event) })
}
