package sqlstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
)

// primaryKeyOf is how each backend's plan names the primary key of a rollup table:
// SQLite stores those tables in their key's order.
func primaryKeyOf(backend, table string) string {
	if backend == "sqlite" {
		return "USING PRIMARY KEY"
	}
	return table + "_pkey"
}

// Usage queries must read a subject's rollups by the primary key, hours in a range,
// once the planner has statistics: a join of the windows with the rollups let SQLite
// build an index of the whole table for every query instead, with the same answers.
func TestUsageQueriesReadRollupsByThePrimaryKey(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) { usageQueriesReadRollupsByThePrimaryKey(t, b) })
}

func usageQueriesReadRollupsByThePrimaryKey(t *testing.T, b testdb.Backend) {
	ctx := context.Background()
	st, _ := b.OpenNew(t)
	db := bunDB(t, st)
	var events []store.IngestEvent
	for i := range 3000 {
		at := now.Add(-time.Duration(i) * 10 * time.Minute)
		route := fmt.Sprint("/r", i%20)
		events = append(events, store.IngestEvent{
			Event: store.Event{Subject: fmt.Sprint("s", i%3), ID: fmt.Sprint(i), Metric: "m", Value: 1, Time: at,
				Fingerprint: "f", Properties: map[string]string{"route": route}},
			// One period holds them all: its quota row's open hour holds only the
			// latest hour (see openHour), the others are in the table.
			Quota: store.QuotaSpec{PeriodStart: now.Add(-30 * 24 * time.Hour), PeriodEnd: now.Add(time.Hour),
				Aggregation: store.AggregationSum, Unlimited: true},
			Dimensions: store.Dimensions{Names: []string{"route"}, Values: []string{route}, Limit: 100},
		})
	}
	_, err := st.Ingest(ctx, &store.IngestParams{Events: events, Now: now})
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, "ANALYZE")
	require.NoError(t, err)

	queries := &queryLog{}
	//lint:ignore SA1019 WithQueryHook returns a copy of the DB, which the store does not use
	db.AddQueryHook(queries)
	day := now.Truncate(24 * time.Hour)
	for _, size := range []time.Duration{24 * time.Hour, time.Hour} {
		var windows []store.UsageWindow
		for d := day.Add(-10 * 24 * time.Hour); d.Before(day); d = d.Add(size) {
			windows = append(windows, store.UsageWindow{Start: d, End: d.Add(size)})
		}
		for _, groupBy := range [][]string{nil, {"route"}} {
			_, err := st.QueryUsage(ctx, &store.UsageQueryParams{Metric: "m", Subject: "s1", Windows: windows,
				Dimensions: []string{"route"}, GroupBy: groupBy})
			require.NoError(t, err)
		}
	}
	reads := queries.matching(func(q string) bool {
		return strings.HasPrefix(q, "SELECT") && (strings.Contains(q, "usage_aggregations") || strings.Contains(q, "usage_dimension_rollups"))
	})
	require.Len(t, reads, 4, "days and hours, with and without dimensions")
	for _, q := range reads {
		plan := explain(t, db, explainOf(t, b), q)
		table := "usage_aggregations"
		if strings.Contains(q, "usage_dimension_rollups") {
			table = "usage_dimension_rollups"
		}
		require.Contains(t, plan, primaryKeyOf(b.Name, table), "the plan of %s", q)
		require.NotContains(t, plan, "AUTOMATIC", "the plan of %s", q)
	}
}

// The parts of hours at a half-hour zone's window bounds are aggregated from the
// events of the subject's series, found through its index for every part, once
// the planner has statistics.
func TestPartsOfHoursReadEventsThroughTheSeriesIndex(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) { partsOfHoursReadEventsThroughTheSeriesIndex(t, b) })
}

func partsOfHoursReadEventsThroughTheSeriesIndex(t *testing.T, b testdb.Backend) {
	ctx := context.Background()
	st, _ := b.OpenNew(t)
	db := bunDB(t, st)
	var events []store.IngestEvent
	for i := range 3000 {
		at := now.Add(-time.Duration(i) * 10 * time.Minute)
		events = append(events, store.IngestEvent{
			Event: store.Event{Subject: fmt.Sprint("s", i%3), ID: fmt.Sprint(i), Metric: "m", Value: 1, Time: at, Fingerprint: "f"},
			// One period holds them all: its quota row's open hour holds only the
			// latest hour (see openHour), the others are in the table.
			Quota: store.QuotaSpec{PeriodStart: now.Add(-30 * 24 * time.Hour), PeriodEnd: now.Add(time.Hour),
				Aggregation: store.AggregationLatest, Unlimited: true},
		})
	}
	_, err := st.Ingest(ctx, &store.IngestParams{Events: events, Now: now})
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, "ANALYZE")
	require.NoError(t, err)

	queries := &queryLog{}
	//lint:ignore SA1019 WithQueryHook returns a copy of the DB, which the store does not use
	db.AddQueryHook(queries)
	day := now.Truncate(24 * time.Hour).Add(-30 * time.Minute)
	var windows []store.UsageWindow
	for d := day.Add(-10 * 24 * time.Hour); d.Before(day); d = d.Add(24 * time.Hour) {
		windows = append(windows, store.UsageWindow{Start: d, End: d.Add(24 * time.Hour)})
	}
	for _, latest := range []bool{false, true} {
		_, err := st.QueryUsage(ctx, &store.UsageQueryParams{Metric: "m", Subject: "s1", Windows: windows, Latest: latest})
		require.NoError(t, err)
	}
	reads := queries.matching(func(q string) bool {
		return strings.HasPrefix(q, "SELECT COUNT(*), CAST(COALESCE(SUM(value)") && strings.Contains(q, "usage_events")
	})
	require.Len(t, reads, 2*20, "a part of an hour at each bound of 10 days, without and with the latest event")
	for _, q := range reads {
		plan := explain(t, db, explainOf(t, b), q)
		require.Contains(t, plan, "usage_events_series_at", "the plan of %s", q)
		require.NotContains(t, plan, "AUTOMATIC", "the plan of %s", q)
		require.NotContains(t, plan, "Seq Scan on usage_events", "the plan of %s", q)
		require.NotContains(t, plan, "SCAN e", "the plan of %s", q)
	}
}
