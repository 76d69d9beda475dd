package usage_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/usagekit/usage"
)

// ExampleMeter_Forecast forecasts a subject's documents to the end of the month:
// when the quota runs out and what the overage will cost.
func ExampleMeter_Forecast() {
	ctx := context.Background()
	st, done := openExampleStore(ctx)
	defer done()

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
	if err := m.Assign(ctx, usage.Assignment{Subject: "acme", Plan: "professional"}); err != nil {
		log.Fatal(err)
	}

	// Too little history is refused.
	_, err = m.Forecast(ctx, "acme", usage.MetricDocuments, usage.ForecastOptions{})
	fmt.Println(errors.Is(err, usage.ErrInsufficientHistory))

	// 20 documents every morning since February 20.
	var events []usage.Event
	for day := time.Date(2026, 2, 20, 9, 0, 0, 0, time.UTC); day.Before(now); day = day.AddDate(0, 0, 1) {
		events = append(events, usage.Event{ID: day.Format(time.DateOnly), Subject: "acme",
			Metric: usage.MetricDocuments, Value: 20, Time: day})
	}
	if _, err := m.TrackBatch(ctx, events); err != nil {
		log.Fatal(err)
	}

	fc, err := m.Forecast(ctx, "acme", usage.MetricDocuments, usage.ForecastOptions{})
	if err != nil {
		log.Fatal(err)
	}
	q := fc.Quota
	fmt.Printf("%d days forecast from %d days of usage\n", len(fc.Points), fc.History)
	fmt.Printf("used %s of %s, %.0f expected by %s\n", q.Used, q.Limit, q.ExpectedUsage,
		q.Period.End.Format(time.DateOnly))
	for _, c := range q.Crossings {
		fmt.Printf("%.0f %% by %s\n", c.Percent, c.At.Format("Jan 2 15:04 MST"))
	}
	fmt.Printf("over the limit: %.0f %%, %.0f documents, %s\n", 100*q.ExceedProbability, q.ExpectedOverage, q.ExpectedCost)
	// Output:
	// true
	// 17 days forecast from 23 days of usage
	// used 300 of 500, 620 expected by 2026-04-01
	// 80 % by Mar 21 00:00 UTC
	// 90 % by Mar 24 00:00 UTC
	// 100 % by Mar 26 00:00 UTC
	// over the limit: 100 %, 120 documents, €48.00
}
