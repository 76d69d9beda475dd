package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/usagekit/usage"
)

// runQuota measures Meter.CheckQuota answered from memory and, in the same run, the
// same question put to rate.Limiter.AllowN, each with as many goroutines as
// GOMAXPROCS.
func runQuota(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("quota", flag.ContinueOnError)
	kind := fs.String("store", "sqlite", "store: sqlite or postgres")
	dsn := fs.String("dsn", "", "Postgres DSN (default "+defaultDSN+")")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	m, closeMeter, err := openExampleMeter(ctx, *kind, *dsn, "basic", 10)
	if err != nil {
		return err
	}
	defer closeMeter()

	var failure error
	check := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if q, err := m.CheckQuota(ctx, "acme", usage.MetricAPICalls, 1); err != nil || !q.Allowed {
					failure = fmt.Errorf("CheckQuota: allowed=%v err=%v", q.Allowed, err)
				}
			}
		})
	})
	if failure != nil {
		return failure
	}
	lim := rate.NewLimiter(rate.Limit(1e12), 1e9) // never refuses, but does the arithmetic
	allow := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				lim.AllowN(time.Now(), 1) // reading the clock, as CheckQuota does
			}
		})
	})
	ratio := float64(check.NsPerOp()) / float64(max(allow.NsPerOp(), 1))
	fmt.Fprintf(out, "CheckQuota from memory: %d ns/op, %d allocs/op; rate.Limiter.AllowN: %d ns/op, %d allocs/op; ratio %.1f×\n",
		check.NsPerOp(), check.AllocsPerOp(), allow.NsPerOp(), allow.AllocsPerOp(), ratio)
	fmt.Fprintf(out, "RESULT bench=quota store=%s op=check_quota ns_per_op=%d allocs_per_op=%d\n", *kind, check.NsPerOp(), check.AllocsPerOp())
	fmt.Fprintf(out, "RESULT bench=quota store=%s op=rate_allow_n ns_per_op=%d allocs_per_op=%d\n", *kind, allow.NsPerOp(), allow.AllocsPerOp())
	return nil
}
