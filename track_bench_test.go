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
	b.ReportAllocs()
	b.SetParallelism(64)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			if _, err := m.Track(ctx, usage.Event{ID: fmt.Sprint("e", i), Subject: fmt.Sprint("tenant-", i%100),
				Metric: "api_calls", Value: 1}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
