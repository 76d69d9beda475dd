package usage_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/store/sqlite"
)

// Example meters a subject's documents and asks how much of its quota is left.
func Example() {
	ctx := context.Background()
	st, done := openExampleStore(ctx)
	defer done()

	// A fixed clock keeps the output the same on every run; leave Test.Time unset
	// in production.
	now := time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)
	m, err := usage.New(st, &usage.Config{
		Metrics: usage.ExampleMetrics(),
		Plans:   usage.ExamplePlans(),
		Test:    usage.TestConfig{Time: func() time.Time { return now }},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close(ctx)

	if err := m.Assign(ctx, usage.Assignment{Subject: "acme", Plan: "basic", TimeZone: "Europe/Lisbon"}); err != nil {
		log.Fatal(err)
	}
	for i, pages := range []float64{12, 30.5} {
		res, err := m.Track(ctx, usage.Event{
			ID: fmt.Sprintf("upload-%d", i), Subject: "acme", Metric: usage.MetricDocuments, Value: pages,
		})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("tracked %v documents, used %s in %s\n", pages, res.UsedAfter, res.Period)
	}

	q, err := m.CheckQuota(ctx, "acme", usage.MetricDocuments, 60)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("used %s of %s (%.1f%%), %s left\n", q.Used, q.Limit, q.Percent, q.Remaining)
	fmt.Printf("60 more allowed: %v, as overage: %v\n", q.Allowed, q.AllowOverage)
	// Output:
	// tracked 12 documents, used 12 in 2026-03-01T00:00:00Z/2026-04-01T00:00:00+01:00
	// tracked 30.5 documents, used 42.5 in 2026-03-01T00:00:00Z/2026-04-01T00:00:00+01:00
	// used 42.5 of 100 (42.5%), 57.5 left
	// 60 more allowed: true, as overage: true
}

// ExampleMeter_Track_idempotent sends the same event twice, as a client retrying
// after a timeout would: it is charged once. Reusing its ID for another payload is a
// conflict.
func ExampleMeter_Track_idempotent() {
	ctx := context.Background()
	st, done := openExampleStore(ctx)
	defer done()

	now := time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)
	m, err := usage.New(st, &usage.Config{
		Metrics:     usage.ExampleMetrics(),
		Plans:       usage.ExamplePlans(),
		DefaultPlan: "professional",
		Test:        usage.TestConfig{Time: func() time.Time { return now }},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close(ctx)

	ev := usage.Event{ID: "req-7f3a", Subject: "acme", Metric: usage.MetricAPICalls, Value: 1}
	for range 2 {
		res, err := m.Track(ctx, ev)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("replayed: %v, used: %s\n", res.Replayed, res.UsedAfter)
		now = now.Add(time.Minute) // the retry comes later; the event keeps its time
	}

	ev.Value = 5
	_, err = m.Track(ctx, ev)
	var conflict *usage.ConflictError
	fmt.Println(errors.Is(err, usage.ErrEventConflict), errors.As(err, &conflict) && conflict.ID == "req-7f3a")

	q, err := m.CheckQuota(ctx, "acme", usage.MetricAPICalls, 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("used %s of %s\n", q.Used, q.Limit)
	// Output:
	// replayed: false, used: 1
	// replayed: true, used: 1
	// true true
	// used 1 of 10000
}

// ExampleMeter_Track_quotaExceeded fills the Basic plan's three seats, which allow
// no overage: a fourth user is refused with nothing recorded, while users already
// counted this period keep working.
func ExampleMeter_Track_quotaExceeded() {
	ctx := context.Background()
	st, done := openExampleStore(ctx)
	defer done()

	now := time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)
	m, err := usage.New(st, &usage.Config{
		Metrics:     usage.ExampleMetrics(),
		Plans:       usage.ExamplePlans(),
		DefaultPlan: "basic",
		Test:        usage.TestConfig{Time: func() time.Time { return now }},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close(ctx)

	for i, user := range []string{"ana", "ben", "chen", "dara", "ana"} {
		_, err := m.Track(ctx, usage.Event{
			ID: fmt.Sprintf("login-%d", i), Subject: "acme", User: user, Metric: usage.MetricUsers,
		})
		var exceeded *usage.QuotaExceededError
		switch {
		case errors.As(err, &exceeded):
			fmt.Printf("%s refused (ErrQuotaExceeded: %v): %s of %s seats used, %s requested, resets %s\n",
				user, errors.Is(err, usage.ErrQuotaExceeded), exceeded.Used, exceeded.Limit,
				exceeded.Requested, exceeded.PeriodEnd.Format(time.DateOnly))
		case err != nil:
			log.Fatal(err)
		default:
			fmt.Printf("%s admitted\n", user)
		}
	}

	q, err := m.CheckQuota(ctx, "acme", usage.MetricUsers, 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("seats used %s of %s, another allowed: %v\n", q.Used, q.Limit, q.Allowed)
	// Output:
	// ana admitted
	// ben admitted
	// chen admitted
	// dara refused (ErrQuotaExceeded: true): 3 of 3 seats used, 1 requested, resets 2026-04-01
	// ana admitted
	// seats used 3 of 3, another allowed: false
}

// ExamplePeriodAt lays out anniversary periods for a subscription that started on
// January 31 in New York: February has no 31st, so its period starts on the 29th
// (2028 is a leap year), and the next one is back on the 31st. Periods start at local
// midnight, also after the clocks change in March.
func ExamplePeriodAt() {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		log.Fatal(err)
	}
	anchor := time.Date(2028, 1, 31, 16, 45, 0, 0, ny)
	at := anchor
	for range 4 {
		p := usage.PeriodAt(at, usage.CycleAnniversary, anchor, ny)
		fmt.Println(p.Start.Format("Mon Jan 2 15:04 MST"), "to", p.End.Format("Mon Jan 2 15:04 MST"))
		at = p.End
	}

	lastMinute := time.Date(2028, 2, 28, 23, 59, 0, 0, ny) // 04:59 on Feb 29 in UTC
	fmt.Println(usage.PeriodAt(lastMinute, usage.CycleAnniversary, anchor, ny).Start.Format(time.DateOnly))
	// Output:
	// Mon Jan 31 00:00 EST to Tue Feb 29 00:00 EST
	// Tue Feb 29 00:00 EST to Fri Mar 31 00:00 EDT
	// Fri Mar 31 00:00 EDT to Sun Apr 30 00:00 EDT
	// Sun Apr 30 00:00 EDT to Wed May 31 00:00 EDT
	// 2028-01-31
}

// openExampleStore opens an SQLite store in a temporary folder; done closes it and
// removes the folder.
func openExampleStore(ctx context.Context) (st *sqlite.Store, done func()) {
	dir, err := os.MkdirTemp("", "usage-example")
	if err != nil {
		log.Fatal(err)
	}
	st, err = sqlite.Open(ctx, filepath.Join(dir, "usage.db"))
	if err != nil {
		os.RemoveAll(dir)
		log.Fatal(err)
	}
	return st, func() {
		st.Close()
		os.RemoveAll(dir)
	}
}
