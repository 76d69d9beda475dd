package usage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
)

// march is a day of March 2026 at noon UTC, the month most billing tests meter.
func march(day int) time.Time { return time.Date(2026, 3, day, 12, 0, 0, 0, time.UTC) }

// afterMarch is when March 2026's invoices are due, with DefaultBillingGrace.
var afterMarch = time.Date(2026, 4, 2, 1, 0, 0, 0, time.UTC)

// professionalMonth tracks the examples/billing month for subject: 10,250 API
// calls, 520 documents, storage peaking at 52.5 GB and 12 distinct users.
func professionalMonth(t *testing.T, b *testMeter, subject string) {
	t.Helper()
	ctx := context.Background()
	b.clock.Set(march(1))
	require.NoError(t, b.meter.Assign(ctx, usage.Assignment{Subject: subject, Plan: "professional"}))
	var events []usage.Event
	for i := range 41 {
		events = append(events, usage.Event{ID: fmt.Sprint("call-", i), Subject: subject, Metric: usage.MetricAPICalls, Value: 250})
	}
	for i := range 52 {
		events = append(events, usage.Event{ID: fmt.Sprint("doc-", i), Subject: subject, Metric: usage.MetricDocuments, Value: 10})
	}
	for i, gb := range []float64{12, 52.5, 30.25, 48} {
		events = append(events, usage.Event{ID: fmt.Sprint("disk-", i), Subject: subject, Metric: usage.MetricStorageGB, Value: gb})
	}
	for i := range 36 {
		events = append(events, usage.Event{ID: fmt.Sprint("login-", i), Subject: subject, Metric: usage.MetricUsers,
			User: fmt.Sprint("user-", i%12)})
	}
	b.clock.Set(march(20))
	track(t, b.meter, events...)
}

func TestPlanChangeMidPeriodKeepsGrantsAndBillsThePlanAtTheEnd(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		ctx := context.Background()
		b.clock.Set(march(1))
		require.NoError(t, b.meter.Assign(ctx, usage.Assignment{Subject: "acme", Plan: "basic"}))
		b.clock.Set(march(5))
		for i := range 3 {
			track(t, b.meter, usage.Event{ID: fmt.Sprint("u", i), Subject: "acme", Metric: usage.MetricUsers, User: fmt.Sprint("user-", i)})
		}
		track(t, b.meter, usage.Event{ID: "docs-1", Subject: "acme", Metric: usage.MetricDocuments, Value: 450})
		_, err := b.meter.Track(ctx, usage.Event{ID: "u3", Subject: "acme", Metric: usage.MetricUsers, User: "user-3"})
		require.ErrorIs(t, err, usage.ErrQuotaExceeded, "Basic has 3 seats and no overage")
		_, err = b.meter.Grant(ctx, usage.QuotaGrant{Subject: "acme", Metric: usage.MetricDocuments, Units: 25, Reason: "goodwill"})
		require.NoError(t, err)

		b.clock.Set(march(10))
		require.NoError(t, b.meter.Assign(ctx, usage.Assignment{Subject: "acme", Plan: "professional"}))
		q, err := b.meter.CheckQuota(ctx, "acme", usage.MetricDocuments, 1)
		require.NoError(t, err)
		require.Equal(t, "525", q.Limit.String(), "the new limit applies from the change, grants kept")
		track(t, b.meter, usage.Event{ID: "u3", Subject: "acme", Metric: usage.MetricUsers, User: "user-3"},
			usage.Event{ID: "docs-2", Subject: "acme", Metric: usage.MetricDocuments, Value: 100})
		q, err = b.meter.CheckQuota(ctx, "acme", usage.MetricUsers, 1)
		require.NoError(t, err)
		require.Equal(t, "10", q.Limit.String())
		require.Equal(t, "4", q.Used.String())

		// A change after the period ended, during its grace, does not bill March.
		b.clock.Set(time.Date(2026, 4, 1, 6, 0, 0, 0, time.UTC))
		require.NoError(t, b.meter.Assign(ctx, usage.Assignment{Subject: "acme", Plan: "basic"}))
		b.clock.Set(afterMarch)
		closed, err := b.meter.CloseInvoices(ctx, newSinkLog(), usage.DefaultBillingGrace)
		require.NoError(t, err)
		require.Len(t, closed, 1)
		inv := closed[0]
		requireConsistent(t, inv)
		require.Equal(t, "professional", inv.Plan, "the plan in force at the period's end bills the whole period")
		docs := line(t, inv, usage.MetricDocuments)
		require.Equal(t, "525", docs.Included.String(), "Professional's 500 plus the 25 granted")
		require.Equal(t, "550", docs.Used.String())
		requireEUR(t, "10.00", docs.Amount, "25 over at Professional's €0.40")
		requireEUR(t, "0.00", line(t, inv, usage.MetricUsers).Amount)
	})
}

func TestLateEventsCountInTheirPeriodAndAreBilledAsAdjustments(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		ctx := context.Background()
		professionalMonth(t, b, "acme")
		// April 3: March's invoice is still open (no CloseInvoices yet).
		b.clock.Set(time.Date(2026, 4, 3, 9, 0, 0, 0, time.UTC))
		res, err := b.meter.Track(ctx, usage.Event{ID: "late-1", Subject: "acme", Metric: usage.MetricDocuments,
			Value: 5, Time: march(31)})
		require.NoError(t, err)
		require.Equal(t, "525", res.UsedAfter.String(), "counted in the period of its time")
		require.True(t, res.Period.Contains(march(31)))
		draft, err := b.meter.Invoice(ctx, "acme", march(31))
		require.NoError(t, err)
		requireEUR(t, "10.00", line(t, draft, usage.MetricDocuments).Amount)

		// Beyond the window: refused, nothing stored.
		before := len(listEvents(t, b.st, "acme"))
		_, err = b.meter.Track(ctx, usage.Event{ID: "too-late", Subject: "acme", Metric: usage.MetricDocuments,
			Value: 5, Time: b.clock.Now().Add(-usage.DefaultMaxLateness - time.Second)})
		var ve *usage.ValidationError
		require.ErrorAs(t, err, &ve)
		require.Equal(t, "time", ve.Field)
		require.Len(t, listEvents(t, b.st, "acme"), before, "nothing stored")

		// March closes; a late event still within the window counts in March's usage
		// and is billed as an adjustment on April's invoice.
		sink := newSinkLog()
		closed, err := b.meter.CloseInvoices(ctx, sink, usage.DefaultBillingGrace)
		require.NoError(t, err)
		require.Len(t, closed, 1)
		requireEUR(t, "23.95", closed[0].Total)
		res, err = b.meter.Track(ctx, usage.Event{ID: "late-2", Subject: "acme", Metric: usage.MetricDocuments,
			Value: 3, Time: march(30)})
		require.NoError(t, err)
		require.Equal(t, "528", res.UsedAfter.String())
		track(t, b.meter, usage.Event{ID: "april-1", Subject: "acme", Metric: usage.MetricDocuments, Value: 1})

		b.clock.Set(time.Date(2026, 5, 2, 6, 0, 0, 0, time.UTC))
		closed, err = b.meter.CloseInvoices(ctx, sink, usage.DefaultBillingGrace)
		require.NoError(t, err)
		require.Len(t, closed, 1)
		april := closed[0]
		requireConsistent(t, april)
		adj := adjustments(april)
		require.Len(t, adj, 1)
		require.Equal(t, usage.MetricDocuments, adj[0].Metric)
		require.True(t, adj[0].Period.Contains(march(30)))
		require.Equal(t, "528", adj[0].Used.String())
		requireEUR(t, "1.20", adj[0].Amount, "3 more documents over at €0.40")
		requireEUR(t, "1.20", april.Total)
		closedMarch, err := b.meter.Invoice(ctx, "acme", march(30))
		require.NoError(t, err)
		requireEUR(t, "23.95", closedMarch.Total, "a closed invoice never changes")
	})
}
