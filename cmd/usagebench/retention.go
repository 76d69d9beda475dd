package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/store"
)

// retentionParams are the flags of one retention run.
type retentionParams struct {
	kind, dsn                                    string
	oldEvents, subjects, producers, events, rows int
}

// runRetention measures retention's batched deletes beside ingestion: it stores
// -old-events events in an invoiced period two years back, then tracks -events
// events with -producers goroutines twice, alone and while retention deletes the old
// ones (Meter.ApplyRetention), and prints ingestion's rate and latency in both
// phases beside the deletes' rate.
func runRetention(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("retention", flag.ContinueOnError)
	var p retentionParams
	fs.StringVar(&p.kind, "store", "sqlite", "store: sqlite or postgres")
	fs.StringVar(&p.dsn, "dsn", "", "Postgres DSN (default "+defaultDSN+"); the run uses a schema of its own and drops it")
	fs.IntVar(&p.oldEvents, "old-events", 1_000_000, "events stored in the expired period before the run")
	fs.IntVar(&p.subjects, "subjects", 100, "subjects the events are spread over")
	fs.IntVar(&p.producers, "producers", 64, "goroutines calling Track in each phase")
	fs.IntVar(&p.events, "events", 100_000, "events tracked in each phase")
	fs.IntVar(&p.rows, "batch-rows", usage.DefaultRetentionBatch, "most rows one retention transaction deletes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if p.oldEvents < 1 || p.subjects < 1 || p.producers < 1 || p.events < 1 || p.rows < 1 {
		return fmt.Errorf("-old-events, -subjects, -producers, -events and -batch-rows must be positive")
	}
	ctx := context.Background()
	st, cleanup, err := openFresh(ctx, p.kind, p.dsn)
	if err != nil {
		return err
	}
	defer cleanup()
	start := time.Now()
	if err := storeExpired(ctx, st, p); err != nil {
		return err
	}
	fmt.Fprintf(out, "stored %d expired events in %.1fs\n", p.oldEvents, time.Since(start).Seconds())

	m, err := usage.New(st, &usage.Config{
		Metrics:     []usage.Metric{{Key: "api_calls", Unit: "calls"}},
		Plans:       []usage.Plan{{Key: "bench", Limits: map[string]usage.Limit{"api_calls": {Included: 1e11}}}},
		DefaultPlan: "bench",
		Maintenance: usage.MaintenanceConfig{Retention: usage.RetentionConfig{BatchSize: p.rows}},
	})
	if err != nil {
		return err
	}
	defer m.Close(ctx)

	alone, err := trackLoad(ctx, m, p, "alone")
	if err != nil {
		return err
	}
	printLoad(out, p, "alone", alone)

	retentionCtx, stop := context.WithCancel(ctx)
	defer stop()
	var deleted usage.RetentionResult
	var deleteErr error
	var deleteTook time.Duration
	var wg sync.WaitGroup
	wg.Go(func() {
		t0 := time.Now()
		deleted, deleteErr = m.ApplyRetention(retentionCtx)
		deleteTook = time.Since(t0)
		if retentionCtx.Err() != nil {
			deleteErr = nil // the ingest phase ended first
		}
	})
	during, err := trackLoad(ctx, m, p, "during")
	stop()
	wg.Wait()
	if err != nil {
		return err
	}
	if deleteErr != nil {
		return deleteErr
	}
	printLoad(out, p, "during_retention", during)
	rate := float64(deleted.Events) / deleteTook.Seconds()
	fmt.Fprintf(out, "retention %s: %d events deleted in %.2fs (%.0f events/s) in batches of at most %d\n",
		p.kind, deleted.Events, deleteTook.Seconds(), rate, p.rows)
	fmt.Fprintf(out, "RESULT bench=retention store=%s batch_rows=%d deleted=%d deleted_per_s=%.0f ingest_events_per_s_alone=%.0f ingest_events_per_s_during=%.0f ingest_p50_ms_alone=%.3f ingest_p50_ms_during=%.3f ingest_p99_ms_alone=%.3f ingest_p99_ms_during=%.3f ingest_max_ms_alone=%.3f ingest_max_ms_during=%.3f\n",
		p.kind, p.rows, deleted.Events, rate, alone.rate, during.rate, ms(alone.p50), ms(during.p50), ms(alone.p99), ms(during.p99), ms(alone.max), ms(during.max))
	return nil
}

// storeExpired stores p.oldEvents events in the month two years back, spread over
// p.subjects subjects, and closes every subject's bill of that month.
func storeExpired(ctx context.Context, st store.Store, p retentionParams) error {
	now := time.Now().UTC()
	first := time.Date(now.Year()-2, now.Month(), 1, 0, 0, 0, 0, time.UTC)
	end := first.AddDate(0, 1, 0)
	span := end.Sub(first)
	const batch = 5000
	events := make([]store.IngestEvent, 0, batch)
	for i := range p.oldEvents {
		id := "old" + strconv.Itoa(i)
		events = append(events, store.IngestEvent{
			Event: store.Event{Subject: "tenant-" + strconv.Itoa(i%p.subjects), ID: id, Metric: "api_calls",
				Value: store.MicrosPerUnit, Time: first.Add(time.Duration(int64(span) / int64(p.oldEvents) * int64(i))), Fingerprint: id},
			Quota: store.QuotaSpec{PeriodStart: first, PeriodEnd: end, Aggregation: store.AggregationSum, Unlimited: true},
		})
		if len(events) == batch || i == p.oldEvents-1 {
			if _, err := st.Ingest(ctx, &store.IngestParams{Events: events, Now: now}); err != nil {
				return fmt.Errorf("store expired events: %w", err)
			}
			events = events[:0]
		}
	}
	for s := range p.subjects {
		_, err := st.CloseBill(ctx, &store.CloseBillParams{Now: now,
			Period: store.BillPeriod{Subject: "tenant-" + strconv.Itoa(s), PeriodStart: first, PeriodEnd: end},
			Deliver: func(context.Context, *store.BillData) (*store.ClosedBill, error) {
				return &store.ClosedBill{Document: []byte("{}")}, nil
			}})
		if err != nil {
			return fmt.Errorf("close bills: %w", err)
		}
	}
	return nil
}

// loadResult is what one phase of tracking measured.
type loadResult struct {
	rate          float64
	p50, p99, max time.Duration
}

// trackLoad tracks p.events events of new IDs (tagged by phase) with p.producers
// goroutines, one Track per event.
func trackLoad(ctx context.Context, m *usage.Meter, p retentionParams, phase string) (loadResult, error) {
	var next atomic.Int64
	var failed atomic.Int64
	latencies := make([][]time.Duration, p.producers)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range p.producers {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(p.events) {
					return
				}
				t0 := time.Now()
				_, err := m.Track(ctx, usage.Event{ID: phase + strconv.FormatInt(i, 10),
					Subject: "tenant-" + strconv.FormatInt(i%int64(p.subjects), 10), Metric: "api_calls", Value: 1})
				latencies[w] = append(latencies[w], time.Since(t0))
				if err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if n := failed.Load(); n > 0 {
		return loadResult{}, fmt.Errorf("%d Track calls failed", n)
	}
	all := slices.Concat(latencies...)
	slices.Sort(all)
	return loadResult{rate: float64(p.events) / elapsed.Seconds(), p50: percentile(all, 0.5), p99: percentile(all, 0.99),
		max: all[len(all)-1]}, nil
}

func printLoad(out io.Writer, p retentionParams, phase string, r loadResult) {
	fmt.Fprintf(out, "ingest %s %s: %d producers, %d events: %.0f events/s, Track p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		p.kind, phase, p.producers, p.events, r.rate, ms(r.p50), ms(r.p99), ms(r.max))
}
