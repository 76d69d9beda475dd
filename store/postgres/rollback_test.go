package postgres_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
	"github.com/usagekit/usage/store/postgres"
)

// An Ingest that fails after it has locked its quota rows must release them at
// once. Its transaction is opened by its first query and committed by its last
// message, so it is rolled back by hand: a connection back in the pool must not
// hold the locks until it is next used, while another instance waits for them.
func TestFailedIngestReleasesItsQuotaLocks(t *testing.T) {
	ctx := context.Background()
	dsn := newSchema(t)
	first, err := postgres.Open(ctx, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { first.Close() })
	second, err := postgres.Open(ctx, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { second.Close() })

	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	event := func(id string, value int64) *store.IngestParams {
		return &store.IngestParams{Now: now, Events: []store.IngestEvent{{
			Event: store.Event{Subject: "acme", ID: id, Metric: "calls", Value: value, Time: now},
			Quota: store.QuotaSpec{PeriodStart: now.AddDate(0, 0, -1), PeriodEnd: now.AddDate(0, 1, 0),
				Aggregation: store.AggregationSum, Unlimited: true},
		}}}
	}
	_, err = first.Ingest(ctx, event("huge", math.MaxInt64-10))
	require.NoError(t, err)
	// The total would overflow: Ingest finds that with the quota row locked and
	// its transaction open, before it writes anything.
	_, err = first.Ingest(ctx, event("overflows", 100))
	require.ErrorIs(t, err, store.ErrOverflow)

	waiting, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	res, err := second.Ingest(waiting, event("next", 0))
	require.NoError(t, err, "the other instance gets the quota row")
	require.Equal(t, store.StatusInserted, res.Outcomes[0].Status)
	require.Equal(t, int64(math.MaxInt64-10), res.Outcomes[0].UsedAfter)
}
