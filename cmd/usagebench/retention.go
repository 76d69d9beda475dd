package main

import (
	"context"
	"database/sql"
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
	kind, dsn, layout                            string
	oldEvents, subjects, producers, events, rows int
	analyze                                      bool
}

// runRetention measures retention beside ingestion: it stores -old-events events in
// an invoiced period two years back, then tracks events with -producers goroutines
// twice, alone (-events of them) and while retention deletes the old ones (at least
// -events, and on until retention is done), and prints ingestion's rate and latency
// alone and over the time retention ran, beside retention's own time. -layout plain
// is the store's schema, whose retention is Meter.ApplyRetention's batched deletes;
// -layout partitioned (Postgres) partitions usage_events by month first (see
// partitionEvents), and retention detaches and drops the old month's partition.
func runRetention(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("retention", flag.ContinueOnError)
	var p retentionParams
	fs.StringVar(&p.kind, "store", "sqlite", "store: sqlite or postgres")
	fs.StringVar(&p.dsn, "dsn", "", "Postgres DSN (default "+defaultDSN+"); the run uses a schema of its own and drops it")
	fs.StringVar(&p.layout, "layout", "plain", "events table: plain (batched deletes) or partitioned (Postgres: monthly partitions dropped whole)")
	fs.IntVar(&p.oldEvents, "old-events", 1_000_000, "events stored in the expired period before the run")
	fs.IntVar(&p.subjects, "subjects", 100, "subjects the events are spread over")
	fs.IntVar(&p.producers, "producers", 64, "goroutines calling Track in each phase")
	fs.IntVar(&p.events, "events", 100_000, "events tracked alone, and at least beside retention")
	fs.IntVar(&p.rows, "batch-rows", usage.DefaultRetentionBatch, "most rows one retention transaction deletes")
	fs.BoolVar(&p.analyze, "analyze", true, "analyze the tables after storing the expired events")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if p.oldEvents < 1 || p.subjects < 1 || p.producers < 1 || p.events < 1 || p.rows < 1 {
		return fmt.Errorf("-old-events, -subjects, -producers, -events and -batch-rows must be positive")
	}
	if p.layout != "plain" && (p.layout != "partitioned" || p.kind != "postgres") {
		return fmt.Errorf("-layout %q: want plain, or partitioned with -store postgres", p.layout)
	}
	ctx := context.Background()
	st, db, cleanup, err := openFreshSQL(ctx, p.kind, p.dsn)
	if err != nil {
		return err
	}
	defer cleanup()
	now := time.Now().UTC()
	if p.layout == "partitioned" {
		if err := partitionEvents(ctx, db, expiredMonth(now), now.AddDate(0, 1, 0)); err != nil {
			return err
		}
	}
	start := time.Now()
	if err := storeExpired(ctx, st, p); err != nil {
		return err
	}
	fmt.Fprintf(out, "stored %d expired events in %.1fs (%s layout)\n", p.oldEvents, time.Since(start).Seconds(), p.layout)
	if p.analyze {
		if err := analyzeTables(ctx, db); err != nil {
			return err
		}
	}

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

	finished := make(chan struct{})
	close(finished)
	aloneLoad, err := trackLoad(ctx, m, p, "alone", finished)
	if err != nil {
		return err
	}
	alone := aloneLoad.stats(aloneLoad.start, aloneLoad.end)
	printLoad(out, p, "alone", alone)

	// Retention starts with the second phase, which goes on until it is done.
	done := make(chan struct{})
	var deleted int
	var drop partitionDrop
	var retentionErr error
	var t0, t1 time.Time
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(done)
		t0 = time.Now()
		deleted, drop, retentionErr = applyRetention(ctx, m, db, p, now)
		t1 = time.Now()
	})
	during, err := trackLoad(ctx, m, p, "during", done)
	wg.Wait()
	if err != nil {
		return err
	}
	if retentionErr != nil {
		return retentionErr
	}
	if deleted != p.oldEvents {
		return fmt.Errorf("retention deleted %d of the %d expired events", deleted, p.oldEvents)
	}
	window := during.stats(t0, t1)
	printLoad(out, p, "during_retention", window)
	took := t1.Sub(t0)
	fmt.Fprintf(out, "retention %s %s: %d events deleted in %.2fs (%.0f events/s), batches of at most %d rows\n",
		p.kind, p.layout, deleted, took.Seconds(), float64(deleted)/took.Seconds(), p.rows)
	if p.layout == "partitioned" {
		fmt.Fprintf(out, "  %d partition(s) dropped: detach %.3fs, key deletes %.2fs, drop %.3fs\n",
			drop.partitions, drop.detach.Seconds(), drop.keysTook.Seconds(), drop.drop.Seconds())
	}
	fmt.Fprintf(out, "RESULT bench=retention store=%s layout=%s batch_rows=%d deleted=%d retention_s=%.3f detach_s=%.3f key_delete_s=%.3f drop_s=%.3f ingest_events_per_s_alone=%.0f ingest_events_per_s_during=%.0f ingest_p50_ms_alone=%.3f ingest_p50_ms_during=%.3f ingest_p99_ms_alone=%.3f ingest_p99_ms_during=%.3f ingest_max_ms_alone=%.3f ingest_max_ms_during=%.3f\n",
		p.kind, p.layout, p.rows, deleted, took.Seconds(), drop.detach.Seconds(), drop.keysTook.Seconds(), drop.drop.Seconds(),
		alone.rate, window.rate, ms(alone.p50), ms(window.p50), ms(alone.p99), ms(window.p99), ms(alone.max), ms(window.max))
	return nil
}

// analyzeTables gathers the statistics of the tables retention reads. A table that
// grew over months has statistics of its size, which autovacuum may not have
// gathered yet for one filled in seconds; with those of a nearly empty table, the
// planner may read a period's whole range for every row a retention batch deletes.
func analyzeTables(ctx context.Context, db *sql.DB) error {
	for _, table := range []string{"usage_events", "usage_quotas", "usage_bills"} {
		if _, err := db.ExecContext(ctx, "ANALYZE "+table); err != nil {
			return fmt.Errorf("analyze %s: %w", table, err)
		}
	}
	return nil
}

// applyRetention deletes the expired events the layout's way and returns how many:
// the store's batched deletes, or the partitions' drop.
func applyRetention(ctx context.Context, m *usage.Meter, db *sql.DB, p retentionParams, now time.Time) (int, partitionDrop, error) {
	if p.layout == "partitioned" {
		drop, err := dropExpiredPartitions(ctx, db, now.Add(-usage.DefaultEventRetention), p.rows)
		return drop.keys, drop, err
	}
	res, err := m.ApplyRetention(ctx)
	return res.Events, partitionDrop{}, err
}

// expiredMonth is the first day of the month whose events storeExpired stores.
func expiredMonth(now time.Time) time.Time {
	return time.Date(now.Year()-2, now.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// storeExpired stores p.oldEvents events in the month two years back, spread over
// p.subjects subjects, and closes every subject's bill of that month.
func storeExpired(ctx context.Context, st store.Store, p retentionParams) error {
	now := time.Now().UTC()
	first := expiredMonth(now)
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

// trackedCall is one Track call of a phase: when it started and ended.
type trackedCall struct{ start, end time.Time }

// phaseLoad is what one phase of tracking recorded.
type phaseLoad struct {
	start, end time.Time
	calls      []trackedCall
}

// loadResult is ingestion's rate and latency over a span of time.
type loadResult struct {
	rate          float64
	calls         int
	p50, p99, max time.Duration
}

// stats is the rate of the calls that ended in [from, to) and the latency of
// those that ran during it, in part or in full.
func (l phaseLoad) stats(from, to time.Time) loadResult {
	var took []time.Duration
	ended := 0
	for _, c := range l.calls {
		if !c.end.Before(from) && c.end.Before(to) {
			ended++
		}
		if c.start.Before(to) && c.end.After(from) {
			took = append(took, c.end.Sub(c.start))
		}
	}
	slices.Sort(took)
	r := loadResult{calls: len(took), p50: percentile(took, 0.5), p99: percentile(took, 0.99)}
	if to.After(from) {
		r.rate = float64(ended) / to.Sub(from).Seconds()
	}
	if len(took) > 0 {
		r.max = took[len(took)-1]
	}
	return r
}

// trackLoad tracks events of new IDs (tagged by phase) with p.producers goroutines,
// one Track per event: p.events of them, and more until done is closed.
func trackLoad(ctx context.Context, m *usage.Meter, p retentionParams, phase string, done <-chan struct{}) (phaseLoad, error) {
	var next atomic.Int64
	var failed atomic.Int64
	calls := make([][]trackedCall, p.producers)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range p.producers {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(p.events) {
					select {
					case <-done:
						return
					default:
					}
				}
				t0 := time.Now()
				_, err := m.Track(ctx, usage.Event{ID: phase + strconv.FormatInt(i, 10),
					Subject: "tenant-" + strconv.FormatInt(i%int64(p.subjects), 10), Metric: "api_calls", Value: 1})
				calls[w] = append(calls[w], trackedCall{t0, time.Now()})
				if err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	end := time.Now()
	if n := failed.Load(); n > 0 {
		return phaseLoad{}, fmt.Errorf("%d Track calls failed", n)
	}
	return phaseLoad{start: start, end: end, calls: slices.Concat(calls...)}, nil
}

func printLoad(out io.Writer, p retentionParams, phase string, r loadResult) {
	fmt.Fprintf(out, "ingest %s %s %s: %d producers, %d calls: %.0f events/s, Track p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		p.kind, p.layout, phase, p.producers, r.calls, r.rate, ms(r.p50), ms(r.p99), ms(r.max))
}
