package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/store/postgres"
)

// runInstances runs K processes of this program on one Postgres database, each a
// Meter configured as ingest's, tracking its share of the events over the same
// subjects, and prints their aggregate rate and the p99 of all their calls.
func runInstances(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("instances", flag.ContinueOnError)
	var p ingestParams
	k := fs.Int("k", 4, "processes, each with its own Meter, on one database")
	fs.StringVar(&p.dsn, "dsn", "", "Postgres DSN (default "+defaultDSN+"); the run uses a schema of its own and drops it")
	fs.IntVar(&p.producers, "producers", 64, "goroutines calling TrackBatch in each process")
	fs.IntVar(&p.events, "events", 500_000, "events to track in all, shared evenly by the processes")
	fs.IntVar(&p.subjects, "subjects", 100, "distinct subjects, the same in every process (with -disjoint, as many of its own in each)")
	fs.IntVar(&p.batch, "batch", 64, "events per call")
	fs.StringVar(&p.dist, "dist", "uniform", "uniform, random or zipf (exponent "+zipfExponentText+"), as for ingest")
	disjoint := fs.Bool("disjoint", false, "give each process subjects of its own, none shared: the rate without rows that instances share")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *k < 1 || p.producers < 1 || p.events < *k || p.subjects < 1 || p.batch < 1 {
		return errors.New("-k, -producers, -subjects and -batch must be positive and -events at least -k")
	}
	if p.dist != "uniform" && p.dist != "random" && p.dist != "zipf" {
		return fmt.Errorf("unknown -dist %q: want uniform, random or zipf", p.dist)
	}
	ctx := context.Background()
	st, dsn, cleanup, err := openFreshAt(ctx, "postgres", p.dsn)
	if err != nil {
		return err
	}
	defer cleanup()
	st.Close() // migrated: the children open their own
	self, err := os.Executable()
	if err != nil {
		return err
	}
	// The children start together, once all have opened their store.
	start := time.Now().Add(2 * time.Second)
	outputs := make([]bytes.Buffer, *k)
	errs := make([]error, *k)
	var wg sync.WaitGroup
	for i := range *k {
		first := int64(p.events) * int64(i) / int64(*k)
		last := int64(p.events) * int64(i+1) / int64(*k)
		cmd := exec.CommandContext(ctx, self, "instances-child", "-dsn", dsn,
			"-producers", strconv.Itoa(p.producers), "-subjects", strconv.Itoa(p.subjects), "-batch", strconv.Itoa(p.batch),
			"-dist", p.dist, "-first", strconv.FormatInt(first, 10), "-last", strconv.FormatInt(last, 10),
			"-start", strconv.FormatInt(start.UnixNano(), 10))
		if *disjoint {
			cmd.Args = append(cmd.Args, "-subject-prefix", "p"+strconv.Itoa(i)+"-")
		}
		cmd.Stdout, cmd.Stderr = &outputs[i], os.Stderr
		wg.Go(func() { errs[i] = cmd.Run() })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("instances: %w", err)
	}
	var all []time.Duration
	var begin, end int64
	for i := range *k {
		b, e, lat, err := parseChild(&outputs[i])
		if err != nil {
			return fmt.Errorf("process %d: %w", i, err)
		}
		if i == 0 || b < begin {
			begin = b
		}
		end = max(end, e)
		all = append(all, lat...)
	}
	slices.Sort(all)
	elapsed := time.Duration(end - begin)
	rate := float64(p.events) / elapsed.Seconds()
	p50, p99 := percentile(all, 0.50), percentile(all, 0.99)
	shared := "shared"
	if *disjoint {
		shared = "disjoint"
	}
	fmt.Fprintf(out, "instances postgres: %d processes × %d producers × %d events per call, %d events over %d %s subjects (%s) in %.2fs: %.0f events/s in all, call latency p50 %.2f ms, p99 %.2f ms\n",
		*k, p.producers, p.batch, p.events, p.subjects, shared, p.dist, elapsed.Seconds(), rate, ms(p50), ms(p99))
	fmt.Fprintf(out, "RESULT bench=instances store=postgres k=%d producers=%d batch=%d events=%d subjects=%d subjects_are=%s dist=%s events_per_s=%.0f p50_ms=%.3f p99_ms=%.3f\n",
		*k, p.producers, p.batch, p.events, p.subjects, shared, p.dist, rate, ms(p50), ms(p99))
	return nil
}

// runInstancesChild is one process of runInstances: it tracks the events numbered
// -first+1 to -last from -start on, and prints when it began and ended and the
// latency of every call ("run BEGIN END" and "lat MICROS,MICROS,…").
func runInstancesChild(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("instances-child", flag.ContinueOnError)
	var p ingestParams
	var first, last, start int64
	fs.StringVar(&p.dsn, "dsn", "", "the run's DSN")
	fs.IntVar(&p.producers, "producers", 64, "")
	fs.IntVar(&p.subjects, "subjects", 100, "")
	fs.IntVar(&p.batch, "batch", 64, "")
	fs.StringVar(&p.dist, "dist", "uniform", "")
	fs.StringVar(&p.subjectPrefix, "subject-prefix", "", "")
	fs.Int64Var(&first, "first", 0, "")
	fs.Int64Var(&last, "last", 0, "")
	fs.Int64Var(&start, "start", 0, "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p.kind, p.mode = "postgres", "group"
	ctx := context.Background()
	st, err := postgres.Open(ctx, p.dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	cfg, err := benchConfig(p, true)
	if err != nil {
		return err
	}
	m, err := usage.New(st, cfg)
	if err != nil {
		return err
	}
	time.Sleep(time.Until(time.Unix(0, start)))
	begin := time.Now()
	run := produce(ctx, m, p, first, last)
	if err := m.Close(ctx); err != nil {
		return err
	}
	if run.failed > 0 {
		return fmt.Errorf("%d calls failed", run.failed)
	}
	w := bufio.NewWriter(out)
	fmt.Fprintf(w, "run %d %d\nlat ", begin.UnixNano(), begin.Add(run.elapsed).UnixNano())
	for i, l := range run.latencies {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString(strconv.FormatInt(l.Microseconds(), 10))
	}
	w.WriteByte('\n')
	return w.Flush()
}

// parseChild reads what runInstancesChild printed.
func parseChild(r io.Reader) (begin, end int64, latencies []time.Duration, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "run "):
			if _, err := fmt.Sscan(line[4:], &begin, &end); err != nil {
				return 0, 0, nil, err
			}
		case strings.HasPrefix(line, "lat "):
			for f := range strings.SplitSeq(line[4:], ",") {
				us, err := strconv.ParseInt(f, 10, 64)
				if err != nil {
					return 0, 0, nil, err
				}
				latencies = append(latencies, time.Duration(us)*time.Microsecond)
			}
		}
	}
	if begin == 0 || len(latencies) == 0 {
		return 0, 0, nil, errors.New("printed no run")
	}
	return begin, end, latencies, sc.Err()
}
