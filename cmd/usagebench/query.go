package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/store"
)

// queryParams are the flags of one query run.
type queryParams struct {
	kind, dsn                          string
	events, subjects, hotEvery, routes int
	days, runs, scanRuns, seedBatch    int
	now                                time.Time
	// ops, when not empty, names the only operations measured.
	ops        []string
	cpuProfile string
}

// queryMetric is the metric of the query run, with one declared dimension.
var queryMetric = usage.Metric{Key: "api_calls", Unit: "calls", Dimensions: []string{"route"}}

func runQuery(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("query", flag.ContinueOnError)
	var p queryParams
	fs.StringVar(&p.kind, "store", "sqlite", "store: sqlite or postgres")
	fs.StringVar(&p.dsn, "dsn", "", "Postgres DSN (default "+defaultDSN+"); the run uses a schema of its own and drops it")
	fs.IntVar(&p.events, "events", 10_000_000, "events stored before the queries")
	fs.IntVar(&p.subjects, "subjects", 100, "subjects, acme included")
	fs.IntVar(&p.hotEvery, "hot-every", 10, "one event in this many is the queried subject's")
	fs.IntVar(&p.routes, "routes", 20, "distinct values of the route dimension")
	fs.IntVar(&p.days, "days", 60, "days the events are spread over, ending at the run's clock")
	fs.IntVar(&p.runs, "runs", 200, "runs of each query")
	fs.IntVar(&p.scanRuns, "scan-runs", 3, "runs of each brute-force scan")
	fs.IntVar(&p.seedBatch, "seed-batch", 5000, "events per Store.Ingest call while seeding")
	ops := fs.String("ops", "", "comma-separated operations to measure (default all)")
	fs.StringVar(&p.cpuProfile, "cpuprofile", "", "write a CPU profile of the timed queries to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if p.events < 1 || p.subjects < 2 || p.hotEvery < 1 || p.routes < 1 || p.days < 31 || p.runs < 1 || p.scanRuns < 1 || p.seedBatch < 1 {
		return fmt.Errorf("-events, -subjects, -hot-every, -routes, -runs, -scan-runs and -seed-batch must be positive (-subjects at least 2), -days at least 31")
	}
	if *ops != "" {
		p.ops = strings.Split(*ops, ",")
	}
	// A fixed clock: the 20th of a month, so the previous month is whole.
	p.now = time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	ctx := context.Background()
	st, raw, cleanup, err := openFreshSQL(ctx, p.kind, p.dsn)
	if err != nil {
		return err
	}
	defer cleanup()
	if err := seedQueryEvents(ctx, st, p, out); err != nil {
		return err
	}
	if err := settle(ctx, raw, p.kind); err != nil {
		return err
	}
	m, err := usage.New(st, &usage.Config{Metrics: []usage.Metric{queryMetric}, Plans: []usage.Plan{{Key: "free"}},
		DefaultPlan: "free", Test: usage.TestConfig{Time: func() time.Time { return p.now }}})
	if err != nil {
		return err
	}
	defer m.Close(ctx)
	return measureQueries(ctx, m, raw, p, out)
}

// seedQueryEvents stores p.events events through Store.Ingest in batches, spread
// evenly over p.days days: one in p.hotEvery is acme's, the others are shared by
// the other subjects; each has one of p.routes routes. Each batch holds one
// subject's events in time order, so that it writes few rollup rows, as a batch of
// the Meter's group commit does with events that arrive as they happen.
func seedQueryEvents(ctx context.Context, st store.Store, p queryParams, out io.Writer) error {
	start := p.now.AddDate(0, 0, -p.days)
	routes := make([]string, p.routes)
	for i := range routes {
		routes[i] = fmt.Sprintf("/r%02d", i)
	}
	hot := p.events / p.hotEvery
	counts := map[string]int{"acme": hot}
	subjects := []string{"acme"}
	for i := 1; i < p.subjects; i++ {
		s := "tenant-" + strconv.Itoa(i)
		subjects = append(subjects, s)
		counts[s] = (p.events - hot) / (p.subjects - 1)
		if i <= (p.events-hot)%(p.subjects-1) {
			counts[s]++
		}
	}
	names := []string{"route"}
	batch := make([]store.IngestEvent, 0, p.seedBatch)
	t0 := time.Now()
	id := 0
	for _, subject := range subjects {
		n := counts[subject]
		step := p.now.Sub(start) / time.Duration(max(n, 1))
		for i := range n {
			at := start.Add(time.Duration(i) * step)
			y, mo, _ := at.Date()
			route := routes[i%p.routes]
			id++
			batch = append(batch, store.IngestEvent{
				Event: store.Event{Subject: subject, ID: "e" + strconv.Itoa(id), Metric: queryMetric.Key,
					Value: store.MicrosPerUnit, Time: at, Properties: map[string]string{"route": route}, Fingerprint: "f"},
				Quota: store.QuotaSpec{PeriodStart: time.Date(y, mo, 1, 0, 0, 0, 0, time.UTC),
					PeriodEnd: time.Date(y, mo+1, 1, 0, 0, 0, 0, time.UTC), Aggregation: usage.AggregationSum, Unlimited: true},
				Dimensions: store.Dimensions{Names: names, Values: []string{route}, Limit: usage.DefaultMaxDimensionValues},
			})
			if len(batch) == p.seedBatch || i == n-1 {
				if _, err := st.Ingest(ctx, &store.IngestParams{Events: batch, Now: p.now}); err != nil {
					return fmt.Errorf("seed: %w", err)
				}
				batch = batch[:0]
			}
		}
	}
	elapsed := time.Since(t0)
	fmt.Fprintf(out, "query %s: seeded %d events (%d of acme) through Store.Ingest in batches of %d in %.0fs (%.0f events/s)\n",
		p.kind, id, hot, p.seedBatch, elapsed.Seconds(), float64(id)/elapsed.Seconds())
	return nil
}

// settle leaves the seeded database as one at rest would be: SQLite's log written
// back into the file, Postgres's tables vacuumed, and the statistics the planners
// go by gathered, as autovacuum would in time.
func settle(ctx context.Context, raw *sql.DB, kind string) error {
	stmts := []string{"PRAGMA wal_checkpoint(TRUNCATE)", "ANALYZE"}
	if kind == "postgres" {
		stmts = []string{"VACUUM ANALYZE"}
	}
	for _, stmt := range stmts {
		if _, err := raw.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("settle: %s: %w", stmt, err)
		}
	}
	return nil
}

// measureQueries times each query p.runs times and the brute-force scan answering
// the same question beside it.
func measureQueries(ctx context.Context, m *usage.Meter, raw *sql.DB, p queryParams, out io.Writer) error {
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		return err
	}
	from30 := p.now.AddDate(0, 0, -30)
	month := time.Date(p.now.Year(), p.now.Month()-1, 1, 0, 0, 0, 0, time.UTC)
	monthEnd := month.AddDate(0, 1, 0)
	daily := usage.UsageQuery{Metric: queryMetric.Key, Subject: "acme", From: from30, To: p.now, Window: usage.WindowDay}
	hourly := daily
	hourly.Window = usage.WindowHour
	dailyKolkata := daily
	dailyKolkata.TimeZone = kolkata
	byRoute := usage.UsageQuery{Metric: queryMetric.Key, Subject: "acme", From: month, To: monthEnd,
		Window: usage.WindowMonth, GroupBy: []string{"route"}}
	ops := []struct {
		name string
		run  func() error
		scan func() error
	}{
		{"usage_daily_30d", func() error { return checkUsage(m.Usage(ctx, daily)) },
			func() error { return scanDaily(ctx, raw, p.kind, from30, p.now) }},
		{"usage_hourly_30d", func() error { return checkUsage(m.Usage(ctx, hourly)) },
			func() error { return scanDaily(ctx, raw, p.kind, from30, p.now) }},
		{"trend_daily_30d", func() error {
			_, err := m.Trend(ctx, usage.TrendQuery{Subject: "acme", Metric: queryMetric.Key, From: from30, To: p.now, TimeZone: time.UTC})
			return err
		}, func() error { return scanDaily(ctx, raw, p.kind, from30, p.now) }},
		{"usage_daily_30d_kolkata", func() error { return checkUsage(m.Usage(ctx, dailyKolkata)) },
			func() error { return scanDaily(ctx, raw, p.kind, from30, p.now) }},
		{"usage_month_by_route", func() error { return checkUsage(m.Usage(ctx, byRoute)) },
			func() error { return scanByRoute(ctx, raw, p.kind, month, monthEnd) }},
	}
	stopProfile, err := startCPUProfile(p.cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	for _, op := range ops {
		if len(p.ops) > 0 && !slices.Contains(p.ops, op.name) {
			continue
		}
		runs, err := timeRuns(p.runs, op.run)
		if err != nil {
			return fmt.Errorf("%s: %w", op.name, err)
		}
		scans, err := timeRuns(p.scanRuns, op.scan)
		if err != nil {
			return fmt.Errorf("%s: brute-force scan: %w", op.name, err)
		}
		p50, p99, scan := percentile(runs, 0.5), percentile(runs, 0.99), percentile(scans, 0.5)
		fmt.Fprintf(out, "query %s %s: p50 %.3f ms, p99 %.3f ms; brute-force scan of the events p50 %.1f ms (%.0f×)\n",
			p.kind, op.name, ms(p50), ms(p99), ms(scan), float64(scan)/float64(p50))
		fmt.Fprintf(out, "RESULT bench=query store=%s op=%s events=%d p50_ms=%.3f p99_ms=%.3f scan_p50_ms=%.1f\n",
			p.kind, op.name, p.events, ms(p50), ms(p99), ms(scan))
	}
	return nil
}

func checkUsage(_ *usage.UsageResult, err error) error { return err }

// timeRuns runs f n times and returns the durations, sorted.
func timeRuns(n int, f func() error) ([]time.Duration, error) {
	out := make([]time.Duration, n)
	for i := range out {
		t0 := time.Now()
		if err := f(); err != nil {
			return nil, err
		}
		out[i] = time.Since(t0)
	}
	slices.Sort(out)
	return out, nil
}

// scanDaily answers the daily query from the events table: the database groups the
// subject's events of the range by UTC day.
func scanDaily(ctx context.Context, raw *sql.DB, kind string, from, to time.Time) error {
	q := "SELECT (at - ?) / 86400000000 AS day, SUM(value), COUNT(*) FROM usage_events " +
		"WHERE subject = ? AND metric = ? AND at >= ? AND at < ? GROUP BY day"
	return drain(ctx, raw, placeholders(kind, q), from.UnixMicro(), "acme", queryMetric.Key, from.UnixMicro(), to.UnixMicro())
}

// scanByRoute answers the month-by-route query from the events table, reading
// each event's route from its properties.
func scanByRoute(ctx context.Context, raw *sql.DB, kind string, from, to time.Time) error {
	route := "json_extract(properties, '$.route')"
	if kind == "postgres" {
		route = "(properties::jsonb ->> 'route')"
	}
	q := "SELECT " + route + " AS route, SUM(value), COUNT(*) FROM usage_events " +
		"WHERE subject = ? AND metric = ? AND at >= ? AND at < ? GROUP BY route"
	return drain(ctx, raw, placeholders(kind, q), "acme", queryMetric.Key, from.UnixMicro(), to.UnixMicro())
}

// placeholders numbers the ? of q for Postgres.
func placeholders(kind, q string) string {
	if kind != "postgres" {
		return q
	}
	var b []byte
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b = strconv.AppendInt(append(b, '$'), int64(n), 10)
			continue
		}
		b = append(b, q[i])
	}
	return string(b)
}

// drain runs a query and reads every row.
func drain(ctx context.Context, db *sql.DB, q string, args ...any) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("no rows: the scan found no events")
	}
	return nil
}
