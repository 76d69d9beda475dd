package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
)

// A batch adds its events to the open hour of their quota row and writes no row of
// usage_aggregations until the row's first event of a later hour comes: an upsert
// per subject per batch cost as much as the quota rows' own update.
func TestAnHourStaysInItsQuotaRowUntilALaterHourComes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) { anHourStaysInItsQuotaRow(t, b) })
}

func anHourStaysInItsQuotaRow(t *testing.T, b testdb.Backend) {
	ctx := context.Background()
	st, _ := b.OpenNew(t)
	db := bunDB(t, st)
	hour := now.Truncate(time.Hour)
	event := func(subject string, n int, at time.Time) store.IngestEvent {
		e := countedEvent(subject, n)
		e.Event.Time = at
		return e
	}
	stored := func() (rows, total int64) {
		t.Helper()
		require.NoError(t, db.NewRaw("SELECT COUNT(*), COALESCE(SUM(total), 0) FROM usage_aggregations").Scan(ctx, &rows, &total))
		return rows, total
	}
	open := func(subject string) (start, count int64) {
		t.Helper()
		require.NoError(t, db.NewRaw("SELECT hour_start, hour_count FROM usage_quotas WHERE subject = ?", subject).Scan(ctx, &start, &count))
		return start, count
	}
	for i := range 3 {
		_, err := st.Ingest(ctx, &store.IngestParams{Now: now, Events: []store.IngestEvent{
			event("s1", i, hour.Add(time.Duration(i)*time.Minute)),
			event("s2", i, hour.Add(time.Duration(i)*time.Minute)),
		}})
		require.NoError(t, err)
	}
	rows, _ := stored()
	require.Zero(t, rows, "three batches of one hour write no rollup row")
	for _, s := range []string{"s1", "s2"} {
		start, count := open(s)
		require.Equal(t, [2]int64{hour.UnixMicro(), 3}, [2]int64{start, count}, s)
	}

	_, err := st.Ingest(ctx, &store.IngestParams{Now: now, Events: []store.IngestEvent{event("s1", 3, hour.Add(time.Hour))}})
	require.NoError(t, err)
	rows, total := stored()
	require.Equal(t, [2]int64{1, 3}, [2]int64{rows, total}, "s1's first event of the next hour closes its hour")
	start, count := open("s1")
	require.Equal(t, [2]int64{hour.Add(time.Hour).UnixMicro(), 1}, [2]int64{start, count})
	start, count = open("s2")
	require.Equal(t, [2]int64{hour.UnixMicro(), 3}, [2]int64{start, count}, "s2's hour stays open")
}
