// Command billing bills a month of usage: a tenant on the Professional plan of the
// example catalog uses API calls, documents, storage and seats through March 2026,
// and when the month is over the library closes its invoice and hands the line
// items to a BillingSink, which prints them. The clock is injected, so the month
// passes in an instant and the output is the same on every run.
//
//	go run ./examples/billing [-db usage.db]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

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

// clock is the injected time: the example moves it through the month.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func run(ctx context.Context, dbPath string) error {
	if dbPath == "" {
		dir, err := os.MkdirTemp("", "usage-billing")
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

	lisbon, err := time.LoadLocation("Europe/Lisbon")
	if err != nil {
		return err
	}
	day := func(d int) time.Time { return time.Date(2026, 3, d, 10, 0, 0, 0, lisbon) }
	c := &clock{now: day(1)}
	m, err := usage.New(st, &usage.Config{
		Metrics: usage.ExampleMetrics(),
		Plans:   usage.ExamplePlans(),
		Test:    usage.TestConfig{Time: c.Now},
	})
	if err != nil {
		return err
	}
	defer m.Close(ctx)
	if err := m.Assign(ctx, usage.Assignment{Subject: "acme", Plan: "professional", TimeZone: "Europe/Lisbon"}); err != nil {
		return err
	}

	// Ten working days of 1,025 API calls each: 10,250 calls, 250 over the 10,000
	// included, billed as 25 packages of 10 at €0.008.
	for d := 2; d <= 11; d++ {
		c.now = day(d)
		batch := make([]usage.Event, 1025)
		for i := range batch {
			batch[i] = usage.Event{ID: fmt.Sprintf("call-%d-%d", d, i), Subject: "acme",
				Metric: usage.MetricAPICalls, Value: 1}
		}
		if err := trackAll(ctx, m, batch); err != nil {
			return err
		}
	}
	// 52 uploads of 10 documents: 520, 20 over the 500 included, at €0.40.
	for i := range 52 {
		c.now = day(12 + i%10)
		if _, err := m.Track(ctx, usage.Event{ID: fmt.Sprintf("upload-%d", i), Subject: "acme",
			Metric: usage.MetricDocuments, Value: 10}); err != nil {
			return err
		}
	}
	// Storage readings: the month's peak of 52.5 GB bills 2.5 GB over 50 at €1.50.
	for i, gb := range []float64{12, 30.25, 52.5, 48} {
		c.now = day(22 + i)
		if _, err := m.Track(ctx, usage.Event{ID: fmt.Sprintf("disk-%d", i), Subject: "acme",
			Metric: usage.MetricStorageGB, Value: gb}); err != nil {
			return err
		}
	}
	// Twelve distinct users, each seen three times: 2 seats over 10 at €5.00. The
	// last logins fall after the switch to summer time on March 29.
	for round := range 3 {
		for u := range 12 {
			c.now = day(27 + round).Add(time.Duration(u) * time.Minute)
			if _, err := m.Track(ctx, usage.Event{ID: fmt.Sprintf("login-%d-%d", round, u), Subject: "acme",
				User: fmt.Sprintf("user-%02d", u), Metric: usage.MetricUsers}); err != nil {
				return err
			}
		}
	}

	// A day after the month ends, the invoice closes and goes to the sink once.
	c.now = time.Date(2026, 4, 2, 1, 0, 0, 0, lisbon)
	sink := usage.BillingSinkFunc(func(ctx context.Context, inv usage.Invoice) error {
		printInvoice(inv)
		return nil
	})
	closed, err := m.CloseInvoices(ctx, sink, usage.DefaultBillingGrace)
	if err != nil {
		return err
	}
	again, err := m.CloseInvoices(ctx, sink, usage.DefaultBillingGrace)
	if err != nil {
		return err
	}
	fmt.Printf("\nclosed %d invoice(s); closing again delivered %d more\n", len(closed), len(again))
	return nil
}

func trackAll(ctx context.Context, m *usage.Meter, events []usage.Event) error {
	results, err := m.TrackBatch(ctx, events)
	if err != nil {
		return err
	}
	for _, r := range results {
		if r.Err != nil {
			return r.Err
		}
	}
	return nil
}

func printInvoice(inv usage.Invoice) {
	fmt.Printf("Invoice %s\nsubject %s, plan %s, %s to %s (%s)\n\n", inv.ID, inv.Subject, inv.Plan,
		inv.Period.Start.Format("2006-01-02 15:04 MST"), inv.Period.End.Format("2006-01-02 15:04 MST"),
		inv.Period.Start.Location())
	fmt.Printf("%-11s %9s %9s %6s  %-16s %9s\n", "metric", "included", "used", "over", "price", "amount")
	for _, l := range inv.Lines {
		fmt.Printf("%-11s %9s %9s %6s  %-16s %9s\n", l.Metric, l.Included, l.Used, l.Over, l.Price, l.Amount)
	}
	fmt.Printf("%-11s %54s\n", "total", inv.Total)
}
