package sqlstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
	"github.com/usagekit/usage/store/internal/sqlstore"
)

// Where Ingest writes quota rows it remembers, on Postgres, it locks them by its
// UPDATE alone, so the plan must reach them in key order, as the batches that lock
// their rows with SELECT … ORDER BY id FOR UPDATE do, or two batches could
// deadlock: through the key's index, driven by the sorted rows, for a table of a
// few rows as for one of many. A plan in another order would write the same rows,
// so no other test would notice.
func TestRememberedQuotaRowsAreLockedInKeyOrder(t *testing.T) {
	for _, subjects := range []int{3, 2000} {
		t.Run(fmt.Sprint(subjects, " subjects"), func(t *testing.T) {
			plan := quotaWritePlan(t, subjects, (*sqlstore.Store).CompareAndSet)
			requireLookupsByKey(t, plan)
			require.Contains(t, plan, "Sort Key: u.id", plan)
			// The sort is the loop's outer side, the rows it drives the lookups by.
			require.Less(t, strings.Index(plan, "Sort"), strings.Index(plan, "Index Scan"), plan)
		})
	}
}

// Where Ingest writes quota rows it has read and locked, on Postgres, its UPDATE
// must reach them through the key's index, one lookup per row: the planner left
// to itself hashes every row of the table to join a batch's rows, a scan of the
// whole table per batch, which only the time it takes would show.
func TestLockedQuotaRowsAreWrittenThroughTheKeysIndex(t *testing.T) {
	for _, subjects := range []int{3, 5000} {
		t.Run(fmt.Sprint(subjects, " subjects"), func(t *testing.T) {
			requireLookupsByKey(t, quotaWritePlan(t, subjects, (*sqlstore.Store).Counters))
		})
	}
}

// quotaWritePlan creates the quota rows of the given number of subjects on a new
// Postgres store and returns the plan, as text, of the statement that statement
// gives for up to 1,500 of them, under its settings.
func quotaWritePlan(t *testing.T, subjects int, statement func(*sqlstore.Store, []string) (settings, stmt string)) string {
	t.Helper()
	b, ok := testdb.Lookup("postgres")
	require.True(t, ok)
	ctx := context.Background()
	st, _ := b.OpenNew(t)
	db := bunDB(t, st)
	var events []store.IngestEvent
	for i := range subjects {
		events = append(events, countedEvent(fmt.Sprintf("tenant-%05d", i), i))
	}
	_, err := st.Ingest(ctx, &store.IngestParams{Events: events, Now: now})
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, "ANALYZE usage_quotas")
	require.NoError(t, err)
	var ids []string
	require.NoError(t, db.NewSelect().Table("usage_quotas").Column("id").Scan(ctx, &ids))
	require.Len(t, ids, subjects)

	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "BEGIN")
	require.NoError(t, err)
	defer conn.ExecContext(ctx, "ROLLBACK") //nolint:errcheck
	settings, stmt := statement(sqlStore(t, st), ids[:min(len(ids), 1500)])
	_, err = conn.ExecContext(ctx, settings)
	require.NoError(t, err)
	var lines []string
	rows, err := conn.QueryContext(ctx, "EXPLAIN (COSTS OFF) "+stmt)
	require.NoError(t, err)
	for rows.Next() {
		var line string
		require.NoError(t, rows.Scan(&line))
		lines = append(lines, line)
	}
	require.NoError(t, rows.Err())
	return strings.Join(lines, "\n")
}

// requireLookupsByKey requires plan to reach the quota rows by a loop of lookups in
// the key's index, and by nothing that reads the table in its own order.
func requireLookupsByKey(t *testing.T, plan string) {
	t.Helper()
	require.Contains(t, plan, "Nested Loop", plan)
	require.Contains(t, plan, "Index Scan using usage_quotas_pkey on usage_quotas q", plan)
	for _, other := range []string{"Hash", "Merge", "Seq Scan on usage_quotas", "Bitmap"} {
		require.NotContains(t, plan, other, plan)
	}
}
