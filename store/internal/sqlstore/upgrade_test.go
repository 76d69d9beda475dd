package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
)

// Migration 9 fills in the series key of events stored before migration 8 added
// it. The test can only write events through today's code, so it takes them back
// to how an earlier version left them, through SQL, and opens the store again to
// run the migration once more.
func TestEventsStoredBeforeSeriesKeysGetTheirs(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) { eventsStoredBeforeSeriesKeysGetTheirs(t, b) })
}

func eventsStoredBeforeSeriesKeysGetTheirs(t *testing.T, b testdb.Backend) {
	ctx := context.Background()
	st, loc := b.OpenNew(t)
	event := func(subject, id, metric string, at time.Time) store.IngestEvent {
		return store.IngestEvent{
			Event: store.Event{Subject: subject, ID: id, Metric: metric, Value: store.MicrosPerUnit, Time: at, Fingerprint: id},
			Quota: store.QuotaSpec{PeriodStart: periodStart, PeriodEnd: periodEnd, Aggregation: store.AggregationSum, Unlimited: true},
		}
	}
	series := [][2]string{{"acme", "m1"}, {"acme", "m2"}, {"globex", "m1"}, {"globex", "m2"}}
	var events []store.IngestEvent
	for i, s := range series {
		for j := range 3 {
			events = append(events, event(s[0], fmt.Sprintf("%s-%d", s[1], j), s[1], now.Add(-time.Duration(3*i+j)*time.Minute)))
		}
	}
	_, err := st.Ingest(ctx, &store.IngestParams{Events: events, Now: now})
	require.NoError(t, err)
	// The first store stays open beside the second: its database is the test's
	// direct access to the tables.
	db := bunDB(t, st)
	_, err = db.ExecContext(ctx, "UPDATE usage_events SET series = NULL")
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, "DELETE FROM usage_schema_migrations WHERE version = 9")
	require.NoError(t, err)

	st = b.OpenAt(t, loc) // fills the keys in again
	var missing int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT COUNT(*) FROM usage_events WHERE series IS NULL").Scan(&missing))
	require.Zero(t, missing, "events without a series key")
	rows, err := db.QueryContext(ctx, "SELECT subject, metric, COUNT(DISTINCT series), MIN(series) FROM usage_events GROUP BY subject, metric")
	require.NoError(t, err)
	distinct := map[int64]bool{}
	groups := 0
	for rows.Next() {
		var subject, metric string
		var keys int
		var key int64
		require.NoError(t, rows.Scan(&subject, &metric, &keys, &key))
		require.Equal(t, 1, keys, "keys of %s/%s", subject, metric)
		distinct[key] = true
		groups++
	}
	require.NoError(t, rows.Err())
	rows.Close()
	require.Equal(t, len(series), groups)
	require.Len(t, distinct, len(series), "each series has a key of its own")

	// An event ingested now gets its series' key from Ingest: the reads by key
	// find it beside the filled-in ones only if both computed the same key.
	for _, s := range series {
		_, err := st.Ingest(ctx, &store.IngestParams{Now: now, Events: []store.IngestEvent{
			event(s[0], s[1]+"-new", s[1], now.Add(time.Minute))}})
		require.NoError(t, err)
	}
	for i, s := range series {
		res, err := st.ListEventTimes(ctx, &store.ListEventTimesParams{Subject: s[0], Metric: s[1],
			From: periodStart, To: periodEnd})
		require.NoError(t, err)
		want := []time.Time{}
		for j := 2; j >= 0; j-- {
			want = append(want, now.Add(-time.Duration(3*i+j)*time.Minute))
		}
		want = append(want, now.Add(time.Minute))
		require.Len(t, res.Times, len(want), "%s/%s", s[0], s[1])
		for j := range want {
			require.True(t, want[j].Equal(res.Times[j]), "%s/%s time %d: %v, want %v", s[0], s[1], j, res.Times[j], want[j])
		}
	}
}

// Migration 11 registers the metrics a database used before it recorded scales, at
// scale 6: their stored integers are micro-units, and a Config may not read them as
// whole units. The test takes the database back to before the migration through
// SQL and opens the store again to run it once more.
func TestMetricsUsedBeforeScalesWereRecordedAreAtScaleSix(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) { metricsUsedBeforeScalesWereRecordedAreAtScaleSix(t, b) })
}

func metricsUsedBeforeScalesWereRecordedAreAtScaleSix(t *testing.T, b testdb.Backend) {
	ctx := context.Background()
	st, loc := b.OpenNew(t)
	_, err := st.Ingest(ctx, &store.IngestParams{Now: now, Events: []store.IngestEvent{{
		Event: store.Event{Subject: "acme", ID: "e1", Metric: "bytes", Value: store.MicrosPerUnit, Time: now, Fingerprint: "e1"},
		Quota: store.QuotaSpec{PeriodStart: periodStart, PeriodEnd: periodEnd, Aggregation: store.AggregationSum, Unlimited: true},
	}}})
	require.NoError(t, err)
	db := bunDB(t, st)
	_, err = db.ExecContext(ctx, "DROP TABLE usage_metrics")
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, "DELETE FROM usage_schema_migrations WHERE version = 11")
	require.NoError(t, err)

	st = b.OpenAt(t, loc) // registers the metrics in use again
	res, err := st.RegisterMetrics(ctx, &store.RegisterMetricsParams{Metrics: []store.MetricScale{
		{Metric: "bytes", Scale: 0}, {Metric: "new", Scale: 0}}})
	require.NoError(t, err)
	require.Equal(t, []store.MetricScale{{Metric: "bytes", Scale: 6}, {Metric: "new", Scale: 0}}, res.Stored)
}
