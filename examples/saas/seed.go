package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/report"
)

// seedDays is how much demo usage the service starts with.
const seedDays = 30

// periodDaysIn is how far into its current billing period every demo tenant is: the
// period is anchored so that the month of usage spans the end of the previous
// period and most of the current one.
const periodDaysIn = 20

// tenant is a demo tenant: its plan, and how much of each limit it has used in the
// current period by the time the service starts.
type tenant struct {
	subject string
	plan    string
	// share is the fraction of each metric's limit used so far this period.
	share map[string]float64
	// spike, when set, multiplies one afternoon hour two days ago: the anomaly
	// detection finds it.
	spike float64
	note  string
}

// demoTenants: acme is close to its API call limit and over its documents limit, so
// threshold alerts are raised and overage is billed; globex had a spike; initech is
// quiet.
func demoTenants() []tenant {
	return []tenant{
		{subject: "acme", plan: "basic", note: "near its API call limit and over its documents: alerts, overage",
			share: map[string]float64{usage.MetricAPICalls: 0.93, usage.MetricDocuments: 1.12, usage.MetricStorageGB: 0.7}},
		{subject: "globex", plan: "professional", spike: 25, note: "a spike of API calls two days ago: an anomaly",
			share: map[string]float64{usage.MetricAPICalls: 0.45, usage.MetricDocuments: 0.3, usage.MetricStorageGB: 0.2}},
		{subject: "initech", plan: "enterprise", note: "quiet",
			share: map[string]float64{usage.MetricAPICalls: 0.18, usage.MetricDocuments: 0.1, usage.MetricStorageGB: 0.05}},
	}
}

// seed stores a month of demo usage before now, anomaly records and a few reports.
// It uses a fixed random source, so two runs at the same time seed the same events.
func seed(ctx context.Context, m *usage.Meter, reports *usage.Reports, now time.Time) error {
	rng := rand.New(rand.NewPCG(1, 2))
	anchor := now.UTC().AddDate(0, 0, -periodDaysIn)
	plans := map[string]usage.Plan{}
	for _, p := range usage.ExamplePlans() {
		plans[p.Key] = p
	}
	for _, t := range demoTenants() {
		if err := m.Assign(ctx, usage.Assignment{Subject: t.subject, Plan: t.plan, Anchor: anchor,
			Cycle: usage.CycleAnniversary}); err != nil {
			return err
		}
		period := usage.PeriodAt(now, usage.CycleAnniversary, anchor, time.UTC)
		var events []usage.Event
		for _, metric := range []string{usage.MetricAPICalls, usage.MetricDocuments} {
			limit := plans[t.plan].Limits[metric].Included
			events = append(events, flow(rng, t, metric, limit*t.share[metric], period.Start, now)...)
		}
		limit := plans[t.plan].Limits[usage.MetricStorageGB].Included
		events = append(events, storage(t, limit*t.share[usage.MetricStorageGB], now)...)
		if err := track(ctx, m, events); err != nil {
			return fmt.Errorf("seeding %s: %w", t.subject, err)
		}
		if t.spike > 0 {
			if _, err := m.DetectAnomalies(ctx, t.subject, usage.MetricAPICalls, usage.DetectOptions{}); err != nil {
				return fmt.Errorf("detecting anomalies of %s: %w", t.subject, err)
			}
		}
		for _, f := range []report.Format{report.CSV, report.PDF} {
			if _, err := reports.Save(ctx, usage.ReportRequest{Type: report.TypeSummary, Format: f,
				Subject: t.subject, At: now}); err != nil {
				return fmt.Errorf("reporting on %s: %w", t.subject, err)
			}
		}
	}
	return nil
}

// track stores events in batches, failing on the first refused one.
func track(ctx context.Context, m *usage.Meter, events []usage.Event) error {
	const batch = 1000
	for len(events) > 0 {
		n := min(batch, len(events))
		results, err := m.TrackBatch(ctx, events[:n])
		if err != nil {
			return err
		}
		for i, r := range results {
			if r.Err != nil {
				return fmt.Errorf("event %s: %w", events[i].ID, r.Err)
			}
		}
		events = events[n:]
	}
	return nil
}

// flow makes a month of hourly usage of a counted metric up to now, shaped like a
// working week (busy office hours, quiet nights and weekends), scaled so that the
// part since periodStart adds up to about target.
func flow(rng *rand.Rand, t tenant, metric string, target float64, periodStart, now time.Time) []usage.Event {
	end := now.Truncate(time.Hour)
	start := end.AddDate(0, 0, -seedDays)
	spikeAt := time.Date(end.Year(), end.Month(), end.Day()-2, 15, 0, 0, 0, time.UTC)
	var hours []time.Time
	var weights []float64
	inPeriod := 0.0
	for h := start; h.Before(now); h = h.Add(time.Hour) {
		w := dayWeight(h.Weekday()) * hourWeight(h.Hour()) * (0.9 + 0.2*rng.Float64())
		if h.Equal(end) { // the current hour has only begun
			w *= now.Sub(h).Hours()
		}
		hours = append(hours, h)
		weights = append(weights, w)
		if !h.Before(periodStart) {
			inPeriod += w
		}
	}
	scale := target / inPeriod
	carried := 0.0
	var events []usage.Event
	users := []string{"alice", "bob", "chen", "dana"}
	for i, h := range hours {
		// Whole units, carrying the fractions from hour to hour, so that small
		// hourly figures still add up to the target, within one unit.
		before := carried
		carried += weights[i] * scale
		value := math.Floor(carried) - math.Floor(before)
		if t.spike > 0 && metric == usage.MetricAPICalls && h.Equal(spikeAt) {
			value = math.Round(weights[i] * scale * t.spike)
		}
		if value < 1 {
			continue
		}
		at := h.Add(time.Duration(rng.Int64N(int64(time.Hour))))
		if at.After(now) {
			at = now
		}
		events = append(events, usage.Event{
			ID:      fmt.Sprintf("seed-%s-%d", metric, h.Unix()),
			Subject: t.subject, User: users[rng.IntN(len(users))], Metric: metric, Value: value, Time: at,
			Properties: map[string]string{"route": routeOf(metric)},
		})
	}
	return events
}

// storage makes a daily storage level growing steadily to level by now.
func storage(t tenant, level float64, now time.Time) []usage.Event {
	var events []usage.Event
	for d := seedDays; d >= 0; d-- {
		at := now.Add(-time.Duration(d) * 24 * time.Hour)
		v := math.Round(level*(0.6+0.4*float64(seedDays-d)/seedDays)*100) / 100
		events = append(events, usage.Event{ID: fmt.Sprintf("seed-storage-%d", d), Subject: t.subject,
			Metric: usage.MetricStorageGB, Value: v, Time: at})
	}
	return events
}

// dayWeight is the share of a weekday's usage on a day of the week.
func dayWeight(d time.Weekday) float64 {
	if d == time.Saturday || d == time.Sunday {
		return 0.3
	}
	return 1
}

// hourWeight is a day's shape: low at night, a broad peak in office hours.
func hourWeight(h int) float64 {
	if h < 7 || h > 20 {
		return 0.3
	}
	return 0.4 + math.Sin(float64(h-7)/13*math.Pi)
}

func routeOf(metric string) string {
	if metric == usage.MetricDocuments {
		return "POST /api/documents"
	}
	return "GET /api/search"
}
