package usage_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/store/sqlite"
)

// BenchmarkCheckQuota measures CheckQuota answered from memory, the hot path of a
// request that asks before working; BenchmarkLimiterAllowN is the same question put
// to golang.org/x/time/rate, for scale.
func BenchmarkCheckQuota(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	m, err := usage.New(st, &usage.Config{Metrics: usage.ExampleMetrics(), Plans: usage.ExamplePlans(), DefaultPlan: "basic"})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close(ctx)
	if _, err := m.Track(ctx, usage.Event{Subject: "acme", Metric: usage.MetricAPICalls, Value: 10}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			q, err := m.CheckQuota(ctx, "acme", usage.MetricAPICalls, 1)
			if err != nil || !q.Allowed {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkLimiterAllowN(b *testing.B) {
	lim := rate.NewLimiter(rate.Limit(1e12), 1e9) // never refuses, but does the arithmetic
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			// Reading the clock is part of the question, as it is for CheckQuota.
			if !lim.AllowN(time.Now(), 1) {
				b.Fatal("refused")
			}
		}
	})
}
