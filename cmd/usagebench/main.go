// Command usagebench measures the ingestion and quota paths of usage and prints,
// besides a line for people, one "RESULT key=value …" line per measurement.
//
//	usagebench ingest -store sqlite|postgres [-dsn DSN] -producers 64 -events 200000 [-batch N] [-mode group|naive|both] [-subjects N] [-dist uniform|zipf]
//	usagebench instances [-dsn DSN] -k 4 [-producers 64] [-batch 64] [-events 500000] [-subjects N] [-dist uniform|zipf]
//	usagebench quota [-store sqlite|postgres] [-dsn DSN]
//	usagebench report [-rows 1000000] [-runs 20]
//	usagebench middleware [-store sqlite|postgres] [-dsn DSN] [-cpuprofile FILE] [-rate 5000] [-for 3s] [-clients 8] [-batch-wait 10ms]
//	usagebench detect [-store sqlite|postgres] [-dsn DSN] [-subjects 1000] [-days 30] [-cpuprofile FILE]
//	usagebench retention [-store sqlite|postgres] [-dsn DSN] [-layout plain|partitioned] [-old-events N] [-events N] [-batch-rows N] [-analyze=false]
//	usagebench query [-store sqlite|postgres] [-dsn DSN] [-events 10000000] [-runs 200] [-ops OP,...] [-cpuprofile FILE]
//	usagebench api [-store sqlite|postgres] [-dsn DSN] [-clients 64] [-duration 3s]
//
// ingest runs producers goroutines that call Meter.Track with unique event IDs until
// the given number of events is acknowledged, against a plan with a limit and no
// overage (so every event is checked against its quota), and reports events per
// second, Track latency percentiles and the process's peak RSS. -mode naive commits
// one transaction per event through the same store, for comparison; -mode both runs
// that and then group commit, and prints their ratio. BENCHMARKS.md lists the
// commands whose figures the project keeps.
//
// ingest's -dist zipf spreads events over the subjects by a Zipf law of exponent
// 1.1, so that a few subjects send most events and a long tail few; the RESULT line
// gives the mean distinct subjects per group commit (subjects_per_commit), and
// beside the p99 of every call the p99 of the calls after the first pass over the
// subjects (p99_after_first_pass_ms: those whose events are all numbered past
// -subjects; under -dist uniform every subject has had its first event, which
// creates its quota row, by then).
//
// instances runs k processes of usagebench on one Postgres database, each a Meter
// configured as ingest's tracking its share of the events over the same subjects,
// and prints their aggregate events/s and the p99 of all their calls.
//
// quota measures Meter.CheckQuota answered from memory beside
// golang.org/x/time/rate's Limiter.AllowN, in the same run.
//
// report measures the report renderers: a detailed XLSX and CSV of many rows and a
// one-subject summary PDF.
//
// query stores events through Store.Ingest in bulk and measures Meter.Usage and
// Meter.Trend on one subject beside a brute-force scan of the events table that
// answers the same question, in the same run.
//
// middleware measures a bare handler, the handler behind httpmw and behind
// go-chi/httprate's LimitByIP, in the same run: in a closed loop, then at a fixed
// rate with the time of each request.
//
// detect seeds subjects × days of 5-minute usage through TrackBatch and times one
// Meter.DetectAllAnomalies over it with the defaults.
//
// api measures GET /v1/summary and POST /v1/events of the REST API (package
// httpapi) through its handler over loopback HTTP with many clients.
//
// retention measures ingestion alone and while retention deletes expired events in
// bounded batches from the same database, in the same run; -layout partitioned
// (Postgres) partitions the events table by month instead, and retention drops the
// expired month's partition.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "usagebench:", err)
		os.Exit(2)
	}
}

func run(args []string, out io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: usagebench ingest|instances|quota|report|middleware|query|detect|retention|api [flags]")
	}
	switch args[0] {
	case "ingest":
		return runIngest(args[1:], out)
	case "quota":
		return runQuota(args[1:], out)
	case "report":
		return runReport(args[1:], out)
	case "middleware":
		return runMiddleware(args[1:], out)
	case "detect":
		return runDetect(args[1:], out)
	case "retention":
		return runRetention(args[1:], out)
	case "query":
		return runQuery(args[1:], out)
	case "instances":
		return runInstances(args[1:], out)
	case "instances-child":
		return runInstancesChild(args[1:], out)
	case "api":
		return runAPI(args[1:], out)
	default:
		return fmt.Errorf("unknown subcommand %q: want ingest, instances, quota, report, middleware, query, detect, retention or api", args[0])
	}
}
