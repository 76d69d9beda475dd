// Command quickstart shows usage on the embedded SQLite store: it assigns a plan,
// tracks events, prints the quota state, runs into a limit without overage, and
// replays an event to show it is charged once.
//
//	go run ./examples/quickstart [-db usage.db]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/store/sqlite"
)

func main() {
	dbPath := flag.String("db", "", "SQLite file to use (default: a new file in a temporary folder, removed at exit)")
	flag.Parse()
	if err := run(context.Background(), *dbPath); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, dbPath string) error {
	if dbPath == "" {
		dir, err := os.MkdirTemp("", "usage-quickstart")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dbPath = filepath.Join(dir, "usage.db")
	}

	st, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer st.Close()

	m, err := usage.New(st, &usage.Config{
		Metrics: usage.ExampleMetrics(), // documents, api_calls, storage_gb, users
		Plans:   usage.ExamplePlans(),   // basic, professional, enterprise
	})
	if err != nil {
		return err
	}
	defer m.Close(ctx)

	if err := m.Assign(ctx, usage.Assignment{Subject: "acme", Plan: "basic", TimeZone: "Europe/Lisbon"}); err != nil {
		return err
	}
	fmt.Println("acme is on the Basic plan, billed by calendar month in Europe/Lisbon.")

	// Usage as the service does it: one event per thing that happened, with an ID
	// that makes retries safe.
	for i := range 42 {
		if _, err := m.Track(ctx, usage.Event{ID: fmt.Sprintf("req-%d", i), Subject: "acme",
			Metric: usage.MetricAPICalls, Value: 1}); err != nil {
			return err
		}
	}
	if _, err := m.Track(ctx, usage.Event{ID: "doc-1", Subject: "acme", Metric: usage.MetricDocuments, Value: 3}); err != nil {
		return err
	}
	if _, err := m.Track(ctx, usage.Event{ID: "disk-1", Subject: "acme", Metric: usage.MetricStorageGB, Value: 1.25}); err != nil {
		return err
	}

	// Seats: Basic includes 3 users and allows no overage, so the fourth is refused
	// and nothing is recorded.
	for _, user := range []string{"ana", "bruno", "carla", "duarte"} {
		_, err := m.Track(ctx, usage.Event{ID: "login-" + user, Subject: "acme", User: user, Metric: usage.MetricUsers})
		var qe *usage.QuotaExceededError
		switch {
		case errors.As(err, &qe):
			fmt.Printf("user %s refused: %s of %s seats in use until %s\n", user, qe.Used, qe.Limit, qe.PeriodEnd.Format("2006-01-02"))
		case err != nil:
			return err
		}
	}

	// A retry of an event already stored is recognised and charged once.
	res, err := m.Track(ctx, usage.Event{ID: "doc-1", Subject: "acme", Metric: usage.MetricDocuments, Value: 3})
	if err != nil {
		return err
	}
	fmt.Printf("doc-1 sent again: replayed=%v, documents used still %s\n", res.Replayed, res.UsedAfter)

	// Reusing an ID for something else is a conflict, not a silent overwrite.
	_, err = m.Track(ctx, usage.Event{ID: "doc-1", Subject: "acme", Metric: usage.MetricDocuments, Value: 30})
	fmt.Println("doc-1 reused with another value:", errors.Is(err, usage.ErrEventConflict))

	q, err := m.CheckQuota(ctx, "acme", usage.MetricDocuments, 100)
	if err != nil {
		return err
	}
	fmt.Printf("could acme process 100 more documents? allowed=%v (overage billed: %v)\n", q.Allowed, q.AllowOverage)

	quotas, err := m.Quotas(ctx, "acme")
	if err != nil {
		return err
	}
	fmt.Printf("\n%-12s %10s %10s %10s %8s  %s\n", "metric", "used", "limit", "remaining", "percent", "period")
	for _, q := range quotas {
		fmt.Printf("%-12s %10s %10s %10s %7.1f%%  %s – %s\n", q.Metric, q.Used, q.Limit, q.Remaining, q.Percent,
			q.Period.Start.Format("2006-01-02"), q.Period.End.Format("2006-01-02"))
	}
	return nil
}
