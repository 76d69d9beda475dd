package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// retentionTests are the contract of DeleteExpired.
var retentionTests = []test{
	{"DeleteExpiredDeletesOnlyInvoicedPeriodsThatEnded", deleteExpiredDeletesOnlyInvoicedPeriodsThatEnded},
	{"DeleteExpiredWithoutInvoicesDeletesEndedPeriods", deleteExpiredWithoutInvoicesDeletesEndedPeriods},
	{"DeleteExpiredKeepsRollupsUntilTheirOwnCutoff", deleteExpiredKeepsRollupsUntilTheirOwnCutoff},
	{"DeleteExpiredKeepsAnHourThatStraddlesTwoPeriods", deleteExpiredKeepsAnHourThatStraddlesTwoPeriods},
}

// The months of the retention tests: September and October have ended by the
// suite's clock, November (the suite's period) is open.
var (
	september = store.BillPeriod{PeriodStart: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}
	october   = store.BillPeriod{PeriodStart: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: periodStart}
)

// eventIn is an event of subject's credits in period p, days and hours into it.
func eventIn(subject, id string, p store.BillPeriod, into time.Duration) store.IngestEvent {
	return store.IngestEvent{
		Event: store.Event{Subject: subject, ID: id, Metric: "credits", Value: unit, Time: p.PeriodStart.Add(into), Fingerprint: id},
		Quota: store.QuotaSpec{PeriodStart: p.PeriodStart, PeriodEnd: p.PeriodEnd, Aggregation: store.AggregationSum, Unlimited: true},
	}
}

// retentionStore is a store holding, for "acme", three events in each of
// September, October and November, the first two invoiced, and for "globex" three
// in September, not invoiced.
func retentionStore(t *testing.T, h Harness) store.Store {
	t.Helper()
	st, _ := open(t, h)
	var events []store.IngestEvent
	for _, p := range []store.BillPeriod{september, october, november("")} {
		for i := range 3 {
			events = append(events, eventIn("acme", fmt.Sprintf("%s-%d", p.PeriodStart.Month(), i), p, time.Duration(24*i+2)*time.Hour))
		}
	}
	for i := range 3 {
		events = append(events, eventIn("globex", fmt.Sprint(i), september, time.Duration(i)*time.Hour))
	}
	ingest(t, st, events...)
	for _, p := range []store.BillPeriod{september, october} {
		p.Subject = "acme"
		closeBill(t, st, p)
	}
	return st
}

// deleteAll calls DeleteExpired until it is done, checking that no call deletes
// more than the limit, and returns the rows deleted.
func deleteAll(t *testing.T, st store.Store, params store.DeleteExpiredParams) (events, rollups int) {
	t.Helper()
	params.Now = storeNow
	for calls := 0; ; calls++ {
		require.Less(t, calls, 100, "DeleteExpired is done at last")
		res, err := st.DeleteExpired(context.Background(), &params)
		require.NoError(t, err)
		require.LessOrEqual(t, res.Events+res.Rollups, params.Limit, "one call deletes at most Limit rows")
		events += res.Events
		rollups += res.Rollups
		if res.Done {
			return events, rollups
		}
	}
}

// eventMonths returns the months of subject's stored events, in storage order.
func eventMonths(t *testing.T, st store.Store, subject string) []time.Month {
	t.Helper()
	months := []time.Month{}
	for _, e := range listEvents(t, st, subject) {
		months = append(months, e.Time.Month())
	}
	return months
}

// rollupHours returns how many hourly rollups of subject's credits p holds.
func rollupHours(t *testing.T, st store.Store, subject string, p store.BillPeriod) int {
	t.Helper()
	res, err := st.Series(context.Background(), &store.SeriesParams{Subject: subject, Metric: "credits", From: p.PeriodStart, To: p.PeriodEnd})
	require.NoError(t, err)
	return len(res.Buckets)
}

func deleteExpiredDeletesOnlyInvoicedPeriodsThatEnded(t *testing.T, h Harness) {
	t.Parallel()
	st := retentionStore(t, h)
	events, rollups := deleteAll(t, st, store.DeleteExpiredParams{EventsBefore: storeNow, Invoiced: true, Limit: 2})
	require.Equal(t, 6, events, "acme's September and October")
	require.Zero(t, rollups, "no rollup is old enough")
	require.Equal(t, []time.Month{time.November, time.November, time.November}, eventMonths(t, st, "acme"),
		"the open period keeps its events")
	require.Len(t, eventMonths(t, st, "globex"), 3, "a period without a closed bill keeps its events")
	require.Equal(t, 3, rollupHours(t, st, "acme", october), "the rollups outlive the events")
	quotas, err := st.GetQuotas(context.Background(), &store.GetQuotasParams{Subject: "acme", At: september.PeriodStart})
	require.NoError(t, err)
	require.Len(t, quotas.Quotas, 1, "quota rows are kept")
	require.Equal(t, int64(3), quotas.Quotas[0].Count)

	events, _ = deleteAll(t, st, store.DeleteExpiredParams{EventsBefore: storeNow, Invoiced: true, Limit: 2})
	require.Zero(t, events, "a second pass finds nothing more")
}

func deleteExpiredWithoutInvoicesDeletesEndedPeriods(t *testing.T, h Harness) {
	t.Parallel()
	st := retentionStore(t, h)
	events, _ := deleteAll(t, st, store.DeleteExpiredParams{EventsBefore: october.PeriodEnd, Limit: 1000})
	require.Equal(t, 9, events, "every period that ended: acme's two, globex's one")
	require.Empty(t, eventMonths(t, st, "globex"))
	require.Len(t, eventMonths(t, st, "acme"), 3)

	events, _ = deleteAll(t, st, store.DeleteExpiredParams{EventsBefore: periodEnd.Add(-time.Microsecond), Limit: 1000})
	require.Zero(t, events, "a period that ends after the cutoff keeps its events")
}

func deleteExpiredKeepsRollupsUntilTheirOwnCutoff(t *testing.T, h Harness) {
	t.Parallel()
	st := retentionStore(t, h)
	events, rollups := deleteAll(t, st, store.DeleteExpiredParams{EventsBefore: storeNow, RollupsBefore: september.PeriodEnd,
		Invoiced: true, Limit: 2})
	require.Equal(t, 6, events)
	require.Equal(t, 3, rollups, "acme's September hours")
	require.Zero(t, rollupHours(t, st, "acme", september))
	require.Equal(t, 3, rollupHours(t, st, "acme", october), "October is younger than the rollups' cutoff")
	require.Equal(t, 3, rollupHours(t, st, "globex", september), "globex's September has no closed bill")
}

func deleteExpiredKeepsAnHourThatStraddlesTwoPeriods(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	// Periods at half past the hour, as in a time zone half an hour off UTC.
	first := store.BillPeriod{PeriodStart: september.PeriodStart.Add(-90 * time.Minute), PeriodEnd: october.PeriodStart.Add(-90 * time.Minute)}
	second := store.BillPeriod{PeriodStart: first.PeriodEnd, PeriodEnd: periodStart.Add(-90 * time.Minute)}
	ingest(t, st,
		eventIn("acme", "inside", first, 2*time.Hour),
		eventIn("acme", "last", first, first.PeriodEnd.Sub(first.PeriodStart)-10*time.Minute),
		eventIn("acme", "next", second, 10*time.Minute))
	events, rollups := deleteAll(t, st, store.DeleteExpiredParams{EventsBefore: first.PeriodEnd, RollupsBefore: first.PeriodEnd, Limit: 10})
	require.Equal(t, 2, events, "the period's events, up to its last minutes")
	require.Equal(t, 1, rollups, "only the hour wholly inside the period")
	res, err := st.Series(context.Background(), &store.SeriesParams{Subject: "acme", Metric: "credits",
		From: first.PeriodStart, To: second.PeriodEnd})
	require.NoError(t, err)
	require.Len(t, res.Buckets, 1)
	require.Equal(t, int64(2), res.Buckets[0].Count, "the hour across the boundary keeps both periods' events")
}
