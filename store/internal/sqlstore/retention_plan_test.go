package sqlstore_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
)

// Retention's deletes find their rows through indexes: a scan of usage_events per
// batch would grow with every event stored and hold the write lock (on SQLite) or
// the server's time (on Postgres) for it, which no answer would show. That holds
// with statistics taken when the tables were empty, as a busy table's often are
// until autovacuum catches up, and with fresh ones.
func TestRetentionDeletesFindTheirRowsThroughIndexes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) { retentionDeletesFindTheirRowsThroughIndexes(t, b) })
}

func retentionDeletesFindTheirRowsThroughIndexes(t *testing.T, b testdb.Backend) {
	ctx := context.Background()
	st, _ := b.OpenNew(t)
	db := bunDB(t, st)
	analyze := func() {
		_, err := db.ExecContext(ctx, "ANALYZE")
		require.NoError(t, err)
	}
	analyze()
	october := store.BillPeriod{PeriodStart: periodStart.AddDate(0, -1, 0), PeriodEnd: periodStart}
	var events []store.IngestEvent
	for s := range 20 {
		for m := range 2 {
			for j := range 100 {
				events = append(events, store.IngestEvent{
					Event: store.Event{Subject: fmt.Sprint("tenant-", s), ID: fmt.Sprint("m", m, "-", j), Metric: fmt.Sprint("m", m),
						Value: store.MicrosPerUnit, Time: october.PeriodStart.Add(time.Duration(j) * time.Hour), Fingerprint: "f"},
					Quota:      store.QuotaSpec{PeriodStart: october.PeriodStart, PeriodEnd: october.PeriodEnd, Aggregation: store.AggregationSum, Unlimited: true},
					Dimensions: store.Dimensions{Names: []string{"route"}, Values: []string{fmt.Sprint("/r", j%3)}, Limit: 10},
				})
			}
		}
	}
	_, err := st.Ingest(ctx, &store.IngestParams{Events: events, Now: now})
	require.NoError(t, err)
	t.Run("stale statistics", func(t *testing.T) { deletesUseIndexes(t, b, st, db) })
	analyze()
	t.Run("fresh statistics", func(t *testing.T) { deletesUseIndexes(t, b, st, db) })
}

// deletesUseIndexes runs two batches of retention, one of events and one of
// rollups, and checks the plans of their deletes.
func deletesUseIndexes(t *testing.T, b testdb.Backend, st store.Store, db *bun.DB) {
	ctx := context.Background()
	queries := &queryLog{}
	//lint:ignore SA1019 WithQueryHook returns a copy of the DB, which the store does not use
	db.AddQueryHook(queries)
	res, err := st.DeleteExpired(ctx, &store.DeleteExpiredParams{EventsBefore: now, RollupsBefore: now, Limit: 250, Now: now})
	require.NoError(t, err)
	require.Equal(t, 250, res.Events)
	res, err = st.DeleteExpired(ctx, &store.DeleteExpiredParams{RollupsBefore: now, Limit: 250, Now: now})
	require.NoError(t, err)
	require.Equal(t, 250, res.Rollups)
	deletes := queries.matching(func(q string) bool { return strings.HasPrefix(q, "DELETE FROM usage_") })
	for _, table := range []string{"usage_events", "usage_aggregations", "usage_dimension_rollups"} {
		require.True(t, slices.ContainsFunc(deletes, func(q string) bool { return strings.HasPrefix(q, "DELETE FROM "+table+"\n") }),
			"a delete from %s among %v", table, deletes)
	}
	for _, q := range deletes {
		plan := explain(t, db, explainOf(t, b), q)
		require.NotContains(t, plan, "SCAN usage_", "the plan of %s", q)
		require.NotContains(t, plan, "Seq Scan", "the plan of %s", q)
		if strings.HasPrefix(q, "DELETE FROM usage_events") {
			require.Contains(t, plan, "usage_events_series_at", "the plan of %s", q)
			// The rows found are fetched by their address, not joined back.
			require.Regexp(t, "Tid Scan|USING INTEGER PRIMARY KEY", plan, "the plan of %s", q)
		}
	}
}
