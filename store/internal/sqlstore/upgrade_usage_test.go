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

// Migration 20 adds the latest event of each hourly rollup and fills it in for the
// rollups written before, from their events. The test takes a database back to how
// an earlier version left it, through SQL, and opens it again.
func TestRollupsWrittenBeforeTheLatestWasKeptGetItFromTheirEvents(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) { rollupsWrittenBeforeGetTheLatest(t, b) })
}

func rollupsWrittenBeforeGetTheLatest(t *testing.T, b testdb.Backend) {
	ctx := context.Background()
	st, loc := b.OpenNew(t)
	hour := now.Truncate(time.Hour)
	event := func(id string, value int64, at time.Time) store.IngestEvent {
		return store.IngestEvent{
			Event: store.Event{Subject: "acme", ID: id, Metric: "level", Value: value, Time: at, Fingerprint: id},
			Quota: store.QuotaSpec{PeriodStart: periodStart, PeriodEnd: periodEnd, Aggregation: store.AggregationLatest, Unlimited: true},
		}
	}
	// b and c share a microsecond; c is stored last, so it is the latest.
	_, err := st.Ingest(ctx, &store.IngestParams{Now: now, Events: []store.IngestEvent{
		event("a", 5, hour.Add(50*time.Minute)), event("b", 7, hour.Add(10*time.Minute)),
		event("c", 3, hour.Add(10*time.Minute)), event("d", 9, hour.Add(-30*time.Minute)),
	}})
	require.NoError(t, err)
	db := bunDB(t, st)
	require.NoError(t, sqlStore(t, st).CloseOpenHours(ctx))
	for _, stmt := range []string{
		"UPDATE usage_events SET at = at - 2400000000 WHERE event_id = 'a'",
		"DROP TABLE usage_dimension_values",
		"ALTER TABLE usage_aggregations DROP COLUMN last_at",
		"ALTER TABLE usage_aggregations DROP COLUMN last_value",
		"DELETE FROM usage_schema_migrations WHERE version = 20",
	} {
		_, err := db.ExecContext(ctx, stmt)
		require.NoError(t, err, stmt)
	}

	st = b.OpenAt(t, loc)
	res, err := st.QueryUsage(ctx, &store.UsageQueryParams{Metric: "level", Subject: "acme", Latest: true,
		Windows: []store.UsageWindow{{Start: hour.Add(-time.Hour), End: hour}, {Start: hour, End: hour.Add(time.Hour)}}})
	require.NoError(t, err)
	require.Len(t, res.Rows, 2)
	require.Equal(t, int64(9), res.Rows[0].Last)
	require.Equal(t, int64(3), res.Rows[1].Last, "a moved back to 10:10 in the events; c is stored after it and after b")
	require.True(t, res.Rows[1].LastAt.Equal(hour.Add(10*time.Minute)))
}

// Migration 24 moves the rollups of dimension values out of usage_aggregations into
// a table of their own (and, on SQLite, stores both in their key's order). The test
// takes a database back to the one table of before, through SQL, and opens it again:
// every usage query answers as it did.
func TestRollupsOfDimensionValuesMoveToTheirOwnTable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) { rollupsOfDimensionValuesMove(t, b) })
}

func rollupsOfDimensionValuesMove(t *testing.T, b testdb.Backend) {
	ctx := context.Background()
	st, loc := b.OpenNew(t)
	hour := now.Truncate(time.Hour)
	var events []store.IngestEvent
	for i := range 60 {
		route := fmt.Sprint("/r", i%4)
		events = append(events, store.IngestEvent{
			Event: store.Event{Subject: fmt.Sprint("s", i%2), ID: fmt.Sprint(i), Metric: "m", Value: int64(i + 1),
				Time: hour.Add(-time.Duration(i) * 7 * time.Minute), Fingerprint: "f", Properties: map[string]string{"route": route}},
			Quota:      store.QuotaSpec{PeriodStart: periodStart, PeriodEnd: periodEnd, Aggregation: store.AggregationSum, Unlimited: true},
			Dimensions: store.Dimensions{Names: []string{"route"}, Values: []string{route}, Limit: 3},
		})
	}
	_, err := st.Ingest(ctx, &store.IngestParams{Events: events, Now: now})
	require.NoError(t, err)
	windows := []store.UsageWindow{{Start: hour.Add(-8 * time.Hour), End: hour.Add(-3 * time.Hour)}, {Start: hour.Add(-3 * time.Hour), End: hour}}
	queries := []*store.UsageQueryParams{
		{Metric: "m", Subject: "s0", Windows: windows},
		{Metric: "m", Windows: windows, Dimensions: []string{"route"}, GroupBy: []string{"route"}},
		{Metric: "m", Subject: "s1", Windows: windows, Dimensions: []string{"route"}, Filters: map[string][]string{"route": {"/r1", store.OtherDimensionValue}}},
	}
	var before []*store.UsageQueryResult
	for _, q := range queries {
		res, err := st.QueryUsage(ctx, q)
		require.NoError(t, err)
		require.NotEmpty(t, res.Rows)
		before = append(before, res)
	}
	db := bunDB(t, st)
	for _, stmt := range []string{
		`CREATE TABLE usage_aggregations_before (subject TEXT NOT NULL, metric TEXT NOT NULL, granularity TEXT NOT NULL,
			bucket_start BIGINT NOT NULL, dimensions TEXT NOT NULL, total BIGINT NOT NULL, count BIGINT NOT NULL,
			min_value BIGINT NOT NULL, max_value BIGINT NOT NULL, last_at BIGINT NOT NULL DEFAULT 0,
			last_value BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (subject, metric, granularity, bucket_start, dimensions))`,
		"INSERT INTO usage_aggregations_before SELECT * FROM usage_aggregations",
		"INSERT INTO usage_aggregations_before SELECT * FROM usage_dimension_rollups",
		"DROP TABLE usage_aggregations",
		"DROP TABLE usage_dimension_rollups",
		"ALTER TABLE usage_aggregations_before RENAME TO usage_aggregations",
		"DELETE FROM usage_schema_migrations WHERE version = 24",
	} {
		_, err := db.ExecContext(ctx, stmt)
		require.NoError(t, err, stmt)
	}
	var mixed int
	require.NoError(t, db.NewRaw("SELECT COUNT(DISTINCT dimensions) FROM usage_aggregations").Scan(ctx, &mixed))
	require.Greater(t, mixed, 1, "the table of before holds both kinds of rows")

	st = b.OpenAt(t, loc)
	for i, q := range queries {
		res, err := st.QueryUsage(ctx, q)
		require.NoError(t, err)
		require.Equal(t, before[i], res, "query %d", i)
	}
	db = bunDB(t, st)
	var left, moved int
	require.NoError(t, db.NewRaw("SELECT COUNT(*) FROM usage_aggregations WHERE dimensions <> ''").Scan(ctx, &left))
	require.NoError(t, db.NewRaw("SELECT COUNT(*) FROM usage_dimension_rollups").Scan(ctx, &moved))
	require.Zero(t, left)
	require.Positive(t, moved)
}
