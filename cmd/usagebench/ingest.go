package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/usagekit/usage"
)

func runIngest(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	kind := fs.String("store", "sqlite", "store: sqlite or postgres")
	dsn := fs.String("dsn", "", "Postgres DSN (default "+defaultDSN+"); the run uses a schema of its own and drops it")
	producers := fs.Int("producers", 64, "goroutines calling Track")
	events := fs.Int("events", 100_000, "events to track in all")
	mode := fs.String("mode", "group", "group (group commit) or naive (one transaction per event)")
	subjects := fs.Int("subjects", 100, "distinct subjects the events are spread over")
	writers := fs.Int("writers", 0, "group-commit writers (0: the Meter's default for the store)")
	batch := fs.Int("batch", 1, "events per call: 1 calls Track, more call TrackBatch")
	maxBatch := fs.Int("max-batch", 0, "most events per group-commit transaction (0: the Meter's default)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *producers < 1 || *events < 1 || *subjects < 1 {
		return fmt.Errorf("-producers, -events and -subjects must be positive")
	}
	ctx := context.Background()
	st, cleanup, err := openFresh(ctx, *kind, *dsn)
	if err != nil {
		return err
	}
	defer cleanup()

	cfg := &usage.Config{
		Metrics: []usage.Metric{{Key: "api_calls", Unit: "calls"}},
		Plans: []usage.Plan{{Key: "bench", Limits: map[string]usage.Limit{
			// A limit without overage, so every event is checked against it, far above
			// what the run uses.
			"api_calls": {Included: 1e11},
		}}},
		DefaultPlan:  "bench",
		Writers:      *writers,
		MaxBatchSize: *maxBatch,
	}
	switch *mode {
	case "group":
	case "naive":
		// The seed's design: each event its own transaction (insert, update quota).
		cfg.MaxBatchSize = 1
		cfg.Writers = *producers
		if !st.Capabilities().ConcurrentWriters {
			cfg.Writers = 1
		}
	default:
		return fmt.Errorf("unknown -mode %q: want group or naive", *mode)
	}
	m, err := usage.New(st, cfg)
	if err != nil {
		return err
	}

	var next atomic.Int64
	latencies := make([][]time.Duration, *producers)
	var failed atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	event := func(i int64) usage.Event {
		return usage.Event{ID: fmt.Sprintf("e%d", i), Subject: fmt.Sprintf("tenant-%d", i%int64(*subjects)),
			Metric: "api_calls", Value: 1}
	}
	for p := range *producers {
		wg.Go(func() {
			for {
				last := next.Add(int64(*batch))
				first := last - int64(*batch) + 1
				if first > int64(*events) {
					return
				}
				last = min(last, int64(*events))
				t0 := time.Now()
				var err error
				if *batch == 1 {
					_, err = m.Track(ctx, event(first))
				} else {
					evs := make([]usage.Event, 0, last-first+1)
					for i := first; i <= last; i++ {
						evs = append(evs, event(i))
					}
					var res []usage.BatchResult
					res, err = m.TrackBatch(ctx, evs)
					for _, r := range res {
						err = errors.Join(err, r.Err)
					}
				}
				latencies[p] = append(latencies[p], time.Since(t0))
				if err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := m.Close(ctx); err != nil {
		return err
	}
	if n := failed.Load(); n > 0 {
		return fmt.Errorf("%d calls failed", n)
	}
	all := slices.Concat(latencies...)
	slices.Sort(all)
	rate := float64(*events) / elapsed.Seconds()
	p50, p99 := percentile(all, 0.50), percentile(all, 0.99)
	rss := peakRSSMiB()
	fmt.Fprintf(out, "ingest %s %s: %d producers × %d events per call, %d events in %.2fs: %.0f events/s, call latency p50 %.2f ms, p99 %.2f ms, peak RSS %.0f MiB\n",
		*kind, *mode, *producers, *batch, *events, elapsed.Seconds(), rate, ms(p50), ms(p99), rss)
	fmt.Fprintf(out, "RESULT bench=ingest store=%s mode=%s producers=%d batch=%d events=%d events_per_s=%.0f p50_ms=%.3f p99_ms=%.3f peak_rss_mib=%.0f\n",
		*kind, *mode, *producers, *batch, *events, rate, ms(p50), ms(p99), rss)
	return nil
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// peakRSSMiB is the process's peak resident set size.
func peakRSSMiB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024 // Linux reports KiB
}
