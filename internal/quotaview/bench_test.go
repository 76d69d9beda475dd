package quotaview

import (
	"testing"
	"time"

	"github.com/usagekit/usage/store"
)

// BenchmarkGet measures CheckQuota's lookup of one quota row from parallel
// requests, which contend for the view's lock.
func BenchmarkGet(b *testing.B) {
	march := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	now := march.Add(time.Hour)
	v := New(100)
	v.Put(Entry{Quota: store.Quota{Subject: "acme", Metric: "api_calls", PeriodStart: march, Count: 1, Used: 1}, Fresh: now})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if e, ok := v.Get("acme", "api_calls", march, now, time.Second); !ok || e.Quota.Used != 1 {
				b.Error("the row is missing from the view")
				return
			}
		}
	})
}
