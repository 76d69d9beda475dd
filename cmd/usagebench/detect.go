package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usagekit/usage"
)

// detectStep is the spacing of the seeded usage: one event per subject every five
// minutes.
const detectStep = 5 * time.Minute

// runDetect seeds subjects × days of 5-minute usage of one metric through
// TrackBatch, then times one DetectAllAnomalies over all of it with the defaults, as
// a scheduled job would run it at the end of the span.
func runDetect(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("detect", flag.ContinueOnError)
	kind := fs.String("store", "sqlite", "store: sqlite or postgres")
	dsn := fs.String("dsn", "", "Postgres DSN (default "+defaultDSN+")")
	subjects := fs.Int("subjects", 1000, "subjects, one series each")
	days := fs.Int("days", 30, "days of usage per subject")
	concurrency := fs.Int("concurrency", 0, "DetectAllOptions.Concurrency (default usage.DefaultDetectConcurrency)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of DetectAllAnomalies to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *subjects < 1 || *days < 1 {
		return fmt.Errorf("detect: -subjects and -days must be positive")
	}
	ctx := context.Background()
	st, cleanup, err := openFresh(ctx, *kind, *dsn)
	if err != nil {
		return err
	}
	defer cleanup()
	// The span ends at a whole hour, when the scheduled run would start.
	end := time.Now().UTC().Truncate(time.Hour)
	start := end.AddDate(0, 0, -*days)
	var clock atomic.Int64
	clock.Store(end.UnixNano())
	m, err := usage.New(st, &usage.Config{
		Metrics:     usage.ExampleMetrics(),
		Plans:       usage.ExamplePlans(),
		DefaultPlan: "enterprise",
		MaxLateness: end.Sub(start) + 24*time.Hour,
		Test:        usage.TestConfig{Time: func() time.Time { return time.Unix(0, clock.Load()).UTC() }},
	})
	if err != nil {
		return err
	}
	defer m.Close(ctx)

	seedStart := time.Now()
	events, err := seedDetectUsage(ctx, m, *subjects, start, end)
	if err != nil {
		return fmt.Errorf("detect: seed: %w", err)
	}
	seedTime := time.Since(seedStart)
	fmt.Fprintf(out, "seeded %d events (%d subjects × %d days of 5-minute usage) in %v, %.0f events/s\n",
		events, *subjects, *days, seedTime.Round(time.Millisecond), float64(events)/seedTime.Seconds())

	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	detectStart := time.Now()
	sum, err := m.DetectAllAnomalies(ctx, usage.DetectAllOptions{Concurrency: *concurrency})
	if err != nil {
		return fmt.Errorf("detect: %w", err)
	}
	took := time.Since(detectStart)
	if sum.Series != *subjects {
		return fmt.Errorf("detect: scored %d series, want %d", sum.Series, *subjects)
	}
	perSeries := took.Seconds() * 1000 / float64(sum.Series)
	fmt.Fprintf(out, "DetectAllAnomalies: %d series in %v (%.1f ms per series, GOMAXPROCS %d), %d anomalies stored\n",
		sum.Series, took.Round(time.Millisecond), perSeries, runtime.GOMAXPROCS(0), sum.Found)
	fmt.Fprintf(out, "RESULT bench=detect store=%s subjects=%d days=%d events=%d seconds=%.2f ms_per_series=%.2f anomalies=%d gomaxprocs=%d\n",
		*kind, *subjects, *days, events, took.Seconds(), perSeries, sum.Found, runtime.GOMAXPROCS(0))
	return nil
}

// seedDetectUsage tracks one event per subject every detectStep in [start, end):
// office-hours tenants of different sizes whose nights and weekends are quieter but
// not idle, with noise, so that the detectors do their usual work. Subjects are
// split among a few producers, each sending batches of one subject's events.
func seedDetectUsage(ctx context.Context, m *usage.Meter, subjects int, start, end time.Time) (int64, error) {
	const (
		producers = 4
		batch     = 1000
	)
	var (
		total atomic.Int64
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	next := atomic.Int64{}
	for range producers {
		wg.Go(func() {
			events := make([]usage.Event, 0, batch)
			for {
				s := int(next.Add(1) - 1)
				if s >= subjects {
					return
				}
				subject := fmt.Sprintf("tenant%05d", s)
				rng := rand.New(rand.NewPCG(uint64(s), 19))
				level := 5 + 200*rng.Float64()
				i := 0
				for t := start; t.Before(end); t = t.Add(detectStep) {
					events = append(events, usage.Event{ID: fmt.Sprint(i), Subject: subject,
						Metric: usage.MetricAPICalls, Value: tenantCalls(rng, level, t), Time: t})
					i++
					if len(events) == batch || !t.Add(detectStep).Before(end) {
						if err := trackAll(ctx, m, events); err != nil {
							mu.Lock()
							first = cmpErr(first, fmt.Errorf("%s: %w", subject, err))
							mu.Unlock()
							return
						}
						total.Add(int64(len(events)))
						events = events[:0]
					}
				}
			}
		})
	}
	wg.Wait()
	return total.Load(), first
}

// tenantCalls is a tenant's calls in the five minutes from t: its level shaped by
// the hour (peaking mid-afternoon, a fifth of it at night) and the weekday (weekends
// at 40 %), with Poisson-like noise, at least one call.
func tenantCalls(rng *rand.Rand, level float64, t time.Time) float64 {
	hour := float64(t.Hour()) + float64(t.Minute())/60
	shape := 0.2 + 0.8*math.Max(0, math.Sin((hour-7)/12*math.Pi))
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		shape *= 0.4
	}
	mean := level * shape
	return math.Max(1, math.Round(mean+math.Sqrt(mean)*rng.NormFloat64()))
}

// trackAll tracks events in one TrackBatch and returns the first error, of the call
// or of an event.
func trackAll(ctx context.Context, m *usage.Meter, events []usage.Event) error {
	res, err := m.TrackBatch(ctx, events)
	if err != nil {
		return err
	}
	for _, r := range res {
		if r.Err != nil {
			return r.Err
		}
	}
	return nil
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
