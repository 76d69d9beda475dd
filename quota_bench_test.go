package usage_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
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
	m := benchMeter(b, &usage.Config{Metrics: usage.ExampleMetrics(), Plans: usage.ExamplePlans(), DefaultPlan: "basic"})
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

// BenchmarkCheckQuotaCold measures CheckQuota when its data is out of the
// processor's caches, as a paced service's requests find it: before each call it
// writes a buffer larger than a core's cache, then times the call alone, for the
// next of 1,000 subjects. It reports the median call (ns/check); the ns/op
// includes the writes. The times to live are the defaults: in a run longer than
// a second, a quota row read more than a second before is read again from the
// store, a call above the median; in a shorter one, every call is answered from
// memory.
func BenchmarkCheckQuotaCold(b *testing.B) {
	ctx := context.Background()
	m := benchMeter(b, &usage.Config{Metrics: usage.ExampleMetrics(), Plans: usage.ExamplePlans(), DefaultPlan: "basic"})
	subjects := make([]string, 1000)
	for i := range subjects {
		subjects[i] = fmt.Sprint("tenant-", i)
		if _, err := m.Track(ctx, usage.Event{Subject: subjects[i], Metric: usage.MetricAPICalls, Value: 10}); err != nil {
			b.Fatal(err)
		}
		if _, err := m.CheckQuota(ctx, subjects[i], usage.MetricAPICalls, 1); err != nil {
			b.Fatal(err)
		}
	}
	flush := make([]byte, 8<<20)
	calls := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		for j := 0; j < len(flush); j += 64 {
			flush[j]++
		}
		subject := subjects[i*7919%len(subjects)]
		start := time.Now()
		q, err := m.CheckQuota(ctx, subject, usage.MetricAPICalls, 1)
		calls = append(calls, time.Since(start))
		if err != nil || !q.Allowed {
			b.Fatal(q, err)
		}
	}
	slices.Sort(calls)
	b.ReportMetric(float64(calls[len(calls)/2]), "ns/check")
}

// benchMeter returns a Meter of cfg on a new SQLite file, closed with its store
// when the benchmark ends.
func benchMeter(b *testing.B, cfg *usage.Config) *usage.Meter {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	m, err := usage.New(st, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close(ctx) })
	return m
}
