package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

const unit = store.MicrosPerUnit

// The suite's billing period and clock: every test's events count in this month.
var (
	periodStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	periodEnd   = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	storeNow    = time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC)
)

// ingestEvent builds an event of subject s with the given id, metric and value in
// units, counted against a quota with the given aggregation and limit in units
// (limit < 0: unlimited).
func ingestEvent(s, id, metric string, value float64, agg store.Aggregation, limit int64, overage bool) store.IngestEvent {
	return store.IngestEvent{
		Event: store.Event{Subject: s, ID: id, Metric: metric, Value: int64(value * unit),
			Time: storeNow, Fingerprint: fmt.Sprintf("%s/%v", metric, value)},
		Quota: store.QuotaSpec{PeriodStart: periodStart, PeriodEnd: periodEnd, Aggregation: agg,
			Limit: limit * unit, Unlimited: limit < 0, AllowOverage: overage},
	}
}

// ingest stores events in one batch and returns their outcomes.
func ingest(t testing.TB, st store.Store, events ...store.IngestEvent) []store.Outcome {
	t.Helper()
	res, err := st.Ingest(context.Background(), &store.IngestParams{Events: events, Now: storeNow})
	require.NoError(t, err)
	require.Len(t, res.Outcomes, len(events))
	return res.Outcomes
}

func statuses(outcomes []store.Outcome) []store.Status {
	out := make([]store.Status, len(outcomes))
	for i, o := range outcomes {
		out[i] = o.Status
	}
	return out
}

// getQuota returns the quota row of subject and metric in the suite's period.
func getQuota(t testing.TB, st store.Store, subject, metric string) store.Quota {
	t.Helper()
	res, err := st.GetQuotas(context.Background(), &store.GetQuotasParams{Subject: subject, Metrics: []string{metric}, At: storeNow})
	require.NoError(t, err)
	require.Len(t, res.Quotas, 1, "quota %s/%s", subject, metric)
	return res.Quotas[0]
}

func listEvents(t testing.TB, st store.Store, subject string) []store.Event {
	t.Helper()
	res, err := st.ListEvents(context.Background(), &store.ListEventsParams{Subject: subject, Limit: 100000})
	require.NoError(t, err)
	return res.Events
}
