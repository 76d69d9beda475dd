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
	"syscall"
	"time"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/store"
)

// ingestParams are the flags of one ingest run.
type ingestParams struct {
	kind, dsn, mode                                       string
	producers, events, subjects, writers, batch, maxBatch int
	batchWait                                             time.Duration
	// metrics is how many metrics the plan limits and the events charge: the k-th
	// pass over the subjects charges metric k mod metrics (see metricKey), so that
	// subjects × metrics quota rows are charged in turn.
	metrics int
	// dist is how events are spread over the subjects: uniform, random or zipf (see
	// subjectPicker).
	dist string
	// ids is what the events' IDs are (see eventID); empty means "counter".
	ids string
	// alertsOff disables alert thresholds (on by default, on every metric).
	alertsOff bool
	// bounds are the Meter's and the store's bounds on what they hold per subject
	// (zero: the defaults).
	bounds bounds
	// subjectPrefix begins every subject's name: instances gives each process its
	// own with -disjoint, so that no two share a subject.
	subjectPrefix string
	// properties are the property sets the events carry in turn (none when
	// empty), and declared the dimensions the metric declares of them.
	properties []map[string]string
	declared   []string
}

func runIngest(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	var p ingestParams
	fs.StringVar(&p.kind, "store", "sqlite", "store: sqlite or postgres")
	fs.StringVar(&p.dsn, "dsn", "", "Postgres DSN (default "+defaultDSN+"); the run uses a schema of its own and drops it")
	fs.IntVar(&p.producers, "producers", 64, "goroutines calling Track")
	fs.IntVar(&p.events, "events", 100_000, "events to track in all")
	mode := fs.String("mode", "group", "group (group commit), naive (one transaction per event), or both: naive, then group, and their ratio")
	naiveEvents := fs.Int("naive-events", 20_000, "with -mode both: events of the naive run (at most -events, one per call), which is far slower")
	fs.IntVar(&p.subjects, "subjects", 100, "distinct subjects the events are spread over")
	fs.IntVar(&p.metrics, "metrics", 1, "metrics each subject's events charge, one per pass over the subjects: subjects × metrics quota rows")
	fs.StringVar(&p.dist, "dist", "uniform", "how events are spread over the subjects: uniform (in turn), random (each event's subject drawn at random, all alike) or zipf (exponent "+zipfExponentText+": a few subjects send most events, a long tail few)")
	fs.StringVar(&p.ids, "ids", "counter", "the events' IDs: counter (e1, e2, … as they are numbered), random (a random UUID each, as clients that send UUIDv4 do) or none (the Meter generates them)")
	fs.IntVar(&p.writers, "writers", 0, "group-commit writers (0: the Meter's default for the store)")
	fs.IntVar(&p.batch, "batch", 1, "events per call: 1 calls Track, more call TrackBatch")
	fs.IntVar(&p.maxBatch, "max-batch", 0, "most events per group-commit transaction (0: the Meter's default)")
	fs.DurationVar(&p.batchWait, "batch-wait", 0, "how long a writer holds a small batch open for more (0: the Meter's default)")
	cache := fs.Int("cache", 0, "sets the three bounds below to one size (0: the defaults); each of them set apart takes its place")
	fs.IntVar(&p.bounds.assignments, "assignment-cache", 0, "subjects whose plans the Meter keeps, Config.AssignmentCacheSize (0: the default)")
	fs.IntVar(&p.bounds.quotas, "quota-cache", 0, "quota rows the Meter keeps, Config.QuotaCacheSize (0: the default)")
	fs.IntVar(&p.bounds.rows, "remembered-rows", 0, "quota rows the store remembers, store.WithRememberedRows (0: the default)")
	alerts := fs.String("alerts", "on", "alert thresholds on every metric: on, off, or compare (runs without and with them, alternating, -alert-rounds times each)")
	alertRounds := fs.Int("alert-rounds", 5, "with -alerts compare: runs of each")
	dimensions := fs.Int("dimensions", 0, "with N > 0: events carry N properties, and the run ingests them twice, without declared dimensions and with N, and prints the ratio")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	memProfile := fs.String("memprofile", "", "write a profile of the run's allocations to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	if *memProfile != "" {
		defer writeAllocProfile(*memProfile)
	}
	if p.producers < 1 || p.events < 1 || p.subjects < 1 || p.metrics < 1 || *naiveEvents < 1 {
		return fmt.Errorf("-producers, -events, -naive-events, -subjects and -metrics must be positive")
	}
	if *cache < 0 || p.bounds.assignments < 0 || p.bounds.quotas < 0 || p.bounds.rows < 0 {
		return fmt.Errorf("-cache, -assignment-cache, -quota-cache and -remembered-rows: want 0 (the default) or a positive size")
	}
	p.bounds = p.bounds.or(*cache)
	if p.dist != "uniform" && p.dist != "random" && p.dist != "zipf" {
		return fmt.Errorf("unknown -dist %q: want uniform, random or zipf", p.dist)
	}
	if p.ids != "counter" && p.ids != "random" && p.ids != "none" {
		return fmt.Errorf("unknown -ids %q: want counter, random or none", p.ids)
	}
	if *alerts == "compare" {
		p.mode = *mode
		return compareAlerts(p, *alertRounds, out)
	}
	if *alerts != "on" && *alerts != "off" {
		return fmt.Errorf("unknown -alerts %q: want on, off or compare", *alerts)
	}
	p.alertsOff = *alerts == "off"
	if *dimensions > 0 {
		return ingestDimensions(p, *mode, *dimensions, out)
	}
	if *mode != "both" {
		p.mode = *mode
		_, err := ingestOnce(p, out)
		return err
	}
	naive, group := p, p
	naive.mode, naive.events, naive.batch = "naive", min(*naiveEvents, p.events), 1
	group.mode = "group"
	naiveRate, err := ingestOnce(naive, out)
	if err != nil {
		return err
	}
	groupRate, err := ingestOnce(group, out)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "group commit is %.1f× the naive design\n", groupRate/naiveRate)
	fmt.Fprintf(out, "RESULT bench=ingest store=%s mode=both producers=%d batch=%d group_over_naive=%.1f\n",
		p.kind, p.producers, p.batch, groupRate/naiveRate)
	return nil
}

// ingestOnce tracks p.events events into a fresh store, prints the figures and
// returns the rate in events/s.
func ingestOnce(p ingestParams, out io.Writer) (float64, error) {
	ctx := context.Background()
	var opts []store.Option
	if p.bounds.rows > 0 {
		opts = append(opts, store.WithRememberedRows(p.bounds.rows))
	}
	st, cleanup, err := openFresh(ctx, p.kind, p.dsn, opts...)
	if err != nil {
		return 0, err
	}
	defer cleanup()

	counted := &commitCounter{Store: st}
	cfg, err := benchConfig(p, st.Capabilities().ConcurrentWriters)
	if err != nil {
		return 0, err
	}
	m, err := usage.New(counted, cfg)
	if err != nil {
		return 0, err
	}
	run := produce(ctx, m, p, 0, int64(p.events))
	if err := m.Close(ctx); err != nil {
		return 0, err
	}
	if run.failed > 0 {
		return 0, fmt.Errorf("%d calls failed", run.failed)
	}
	slices.Sort(run.latencies)
	slices.Sort(run.afterFirstPass)
	rate := float64(p.events) / run.elapsed.Seconds()
	p50, p99 := percentile(run.latencies, 0.50), percentile(run.latencies, 0.99)
	// Zero when no call came after the first pass.
	p99Later := percentile(run.afterFirstPass, 0.99)
	rss := peakRSSMiB()
	perCommit := counted.subjectsPerCommit()
	fmt.Fprintf(out, "ingest %s %s: %d producers × %d events per call, %d events over %d subjects (%s) in %.2fs: %.0f events/s, call latency p50 %.2f ms, p99 %.2f ms (%.2f ms after the first pass over the subjects), %.0f subjects per commit, peak RSS %.0f MiB\n",
		p.kind, p.mode, p.producers, p.batch, p.events, p.subjects, p.dist, run.elapsed.Seconds(), rate, ms(p50), ms(p99), ms(p99Later), perCommit, rss)
	fmt.Fprintf(out, "RESULT bench=ingest store=%s mode=%s producers=%d batch=%d events=%d subjects=%d metrics=%d dist=%s ids=%s %s events_per_s=%.0f p50_ms=%.3f p99_ms=%.3f p99_after_first_pass_ms=%.3f subjects_per_commit=%.0f peak_rss_mib=%.0f\n",
		p.kind, p.mode, p.producers, p.batch, p.events, p.subjects, max(p.metrics, 1), p.dist, p.idsName(), p.bounds, rate, ms(p50), ms(p99), ms(p99Later), perCommit, rss)
	return rate, nil
}

// benchConfig is the Meter configuration of an ingest run.
func benchConfig(p ingestParams, concurrentWriters bool) (*usage.Config, error) {
	var metrics []usage.Metric
	// A limit without overage on each, so every event is checked against it, far
	// above what the run uses.
	limits := map[string]usage.Limit{}
	for k := range max(p.metrics, 1) {
		metrics = append(metrics, usage.Metric{Key: metricKey(k), Unit: "calls", Dimensions: p.declared})
		limits[metricKey(k)] = usage.Limit{Included: 1e11}
	}
	cfg := &usage.Config{
		Metrics:      metrics,
		Plans:        []usage.Plan{{Key: "bench", Limits: limits}},
		DefaultPlan:  "bench",
		Writers:      p.writers,
		MaxBatchSize: p.maxBatch,
		BatchWait:    p.batchWait,
		Alerts:       usage.AlertConfig{Disabled: p.alertsOff},
		// Zero is the defaults.
		AssignmentCacheSize: p.bounds.assignments,
		QuotaCacheSize:      p.bounds.quotas,
	}
	switch p.mode {
	case "group":
	case "naive":
		// The seed's design: each event its own transaction (insert, update quota).
		if p.batch != 1 {
			return nil, fmt.Errorf("-mode naive tracks one event per call: drop -batch %d", p.batch)
		}
		cfg.MaxBatchSize = 1
		cfg.Writers = p.producers
		if !concurrentWriters {
			cfg.Writers = 1
		}
	default:
		return nil, fmt.Errorf("unknown -mode %q: want group, naive or both", p.mode)
	}
	return cfg, nil
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

// writeAllocProfile writes the allocations made so far to file, reporting a
// failure on stderr: the run's figures are printed already.
func writeAllocProfile(file string) {
	f, err := os.Create(file)
	if err == nil {
		err = errors.Join(pprof.Lookup("allocs").WriteTo(f, 0), f.Close())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "usagebench: memprofile:", err)
	}
}
