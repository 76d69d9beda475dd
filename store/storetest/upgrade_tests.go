package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// exerciseUpgrades checks the migrations that change what is stored, on data
// written before them. The suite can only write data through today's code, so each
// test takes that data back to how an earlier version left it, through the
// backend's SQL, and opens the store again to run the migration once more.
func exerciseUpgrades(t *testing.T, h Harness) {
	t.Run("EventsStoredBeforeSeriesKeysGetTheirs", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		loc := h.NewDatabase(t)
		st := openAt(t, h, loc)
		series := [][2]string{{"acme", "m1"}, {"acme", "m2"}, {"globex", "m1"}, {"globex", "m2"}}
		var events []store.IngestEvent
		for i, s := range series {
			for j := range 3 {
				ev := ingestEvent(s[0], fmt.Sprintf("%s-%d", s[1], j), s[1], 1, store.AggregationSum, -1, true)
				ev.Event.Time = storeNow.Add(-time.Duration(3*i+j) * time.Minute)
				events = append(events, ev)
			}
		}
		ingest(t, st, events...)
		db := sqlDB(t, st)
		_, err := db.ExecContext(ctx, "UPDATE usage_events SET series = NULL")
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, "DELETE FROM usage_schema_migrations WHERE version = 9")
		require.NoError(t, err)

		st = openAt(t, h, loc) // fills the keys in again
		var missing int
		require.NoError(t, db.NewSelect().TableExpr("usage_events").ColumnExpr("COUNT(*)").
			Where("series IS NULL").Scan(ctx, &missing))
		require.Zero(t, missing, "events without a series key")
		var keys []struct {
			Subject string `bun:"subject"`
			Metric  string `bun:"metric"`
			Keys    int    `bun:"keys"`
			Key     int64  `bun:"key"`
		}
		require.NoError(t, db.NewSelect().TableExpr("usage_events").
			ColumnExpr("subject, metric, COUNT(DISTINCT series) AS keys, MIN(series) AS key").
			Group("subject", "metric").Scan(ctx, &keys))
		require.Len(t, keys, len(series))
		distinct := map[int64]bool{}
		for _, k := range keys {
			require.Equal(t, 1, k.Keys, "keys of %s/%s", k.Subject, k.Metric)
			distinct[k.Key] = true
		}
		require.Len(t, distinct, len(series), "each series has a key of its own")

		// An event tracked now gets its series' key from Ingest: the reads by key
		// find it beside the filled-in ones only if both computed the same key.
		for _, s := range series {
			ev := ingestEvent(s[0], s[1]+"-new", s[1], 1, store.AggregationSum, -1, true)
			ev.Event.Time = storeNow.Add(time.Minute)
			ingest(t, st, ev)
		}
		for i, s := range series {
			res, err := st.ListEventTimes(ctx, &store.ListEventTimesParams{Subject: s[0], Metric: s[1],
				From: periodStart, To: periodEnd})
			require.NoError(t, err)
			want := []time.Time{}
			for j := 2; j >= 0; j-- {
				want = append(want, storeNow.Add(-time.Duration(3*i+j)*time.Minute))
			}
			want = append(want, storeNow.Add(time.Minute))
			require.Len(t, res.Times, len(want), "%s/%s", s[0], s[1])
			for j := range want {
				require.True(t, want[j].Equal(res.Times[j]), "%s/%s time %d: %v, want %v", s[0], s[1], j, res.Times[j], want[j])
			}
		}
	})
}

// sqlDB is the database under a backend's store, or skips t for a backend without
// one.
func sqlDB(t *testing.T, st store.Store) *bun.DB {
	t.Helper()
	s, ok := st.(interface{ DB() *bun.DB })
	if !ok {
		t.Skipf("%T keeps no SQL schema", st)
	}
	return s.DB()
}
