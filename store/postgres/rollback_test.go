package postgres_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// An Ingest that fails after it has locked its quota rows must release them at
// once. Its transaction is opened by its first query and committed by its last
// message, so it is rolled back by hand: a connection back in the pool must not
// hold the locks until it is next used, while another instance waits for them.
func TestFailedIngestReleasesItsQuotaLocks(t *testing.T) {
	ctx := context.Background()
	dsn := newSchema(t)
	first, second := openAt(t, dsn), openAt(t, dsn)

	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	event := func(id, metric string, agg store.Aggregation, value int64) store.IngestEvent {
		return store.IngestEvent{
			Event: store.Event{Subject: "acme", ID: id, Metric: metric, Value: value, Time: now},
			Quota: store.QuotaSpec{PeriodStart: now.AddDate(0, 0, -1), PeriodEnd: now.AddDate(0, 1, 0),
				Aggregation: agg, Unlimited: true},
		}
	}
	_, err := first.Ingest(ctx, &store.IngestParams{Now: now, Events: []store.IngestEvent{
		event("huge", "calls", store.AggregationSum, math.MaxInt64-10)}})
	require.NoError(t, err)
	// The unknown aggregation fails the batch: Ingest finds that with the quota
	// rows locked and its transaction open, before it writes anything.
	_, err = first.Ingest(ctx, &store.IngestParams{Now: now, Events: []store.IngestEvent{
		event("locks", "calls", store.AggregationSum, 1), event("fails", "bogus", "bogus", 1)}})
	require.ErrorContains(t, err, "unknown aggregation")

	waiting, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	res, err := second.Ingest(waiting, &store.IngestParams{Now: now, Events: []store.IngestEvent{
		event("next", "calls", store.AggregationSum, 0)}})
	require.NoError(t, err, "the other instance gets the quota row")
	require.Equal(t, store.StatusInserted, res.Outcomes[0].Status)
	require.Equal(t, int64(math.MaxInt64-10), res.Outcomes[0].UsedAfter)
}
