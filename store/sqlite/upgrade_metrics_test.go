package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// Migration 11 registers the metrics a database used before it recorded scales, at
// scale 6: their stored integers are micro-units, and a Config may not read them as
// whole units. The test takes the database back to before the migration through
// SQL and opens the store again to run it once more.
func TestMetricsUsedBeforeScalesWereRecordedAreAtScaleSix(t *testing.T) {
	ctx := context.Background()
	loc := newDatabase(t)
	st := openStore(t, loc)
	now := time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC)
	_, err := st.Ingest(ctx, &store.IngestParams{Now: now, Events: []store.IngestEvent{{
		Event: store.Event{Subject: "acme", ID: "e1", Metric: "bytes", Value: store.MicrosPerUnit, Time: now, Fingerprint: "e1"},
		Quota: store.QuotaSpec{PeriodStart: now.Add(-time.Hour), PeriodEnd: now.Add(time.Hour),
			Aggregation: store.AggregationSum, Unlimited: true},
	}}})
	require.NoError(t, err)
	db := openSQL(t, loc)
	_, err = db.ExecContext(ctx, "DROP TABLE usage_metrics")
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, "DELETE FROM usage_schema_migrations WHERE version = 11")
	require.NoError(t, err)

	st = openStore(t, loc)
	res, err := st.RegisterMetrics(ctx, &store.RegisterMetricsParams{Metrics: []store.MetricScale{
		{Metric: "bytes", Scale: 0}, {Metric: "new", Scale: 0}}})
	require.NoError(t, err)
	require.Equal(t, []store.MetricScale{{Metric: "bytes", Scale: 6}, {Metric: "new", Scale: 0}}, res.Stored)
}
