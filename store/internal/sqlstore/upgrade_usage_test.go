package sqlstore_test

import (
	"context"
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
