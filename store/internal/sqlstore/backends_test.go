package sqlstore_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	moderncsqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
	"github.com/usagekit/usage/store/internal/sqlstore"
	"github.com/usagekit/usage/store/postgres"
	"github.com/usagekit/usage/store/sqlite"
)

// The checks of this package's SQL run on both backends built on it, through
// testdb.Each; they differ only where the databases' SQL does, in the small
// tables below.

// bunDB is the database under st, a store of either backend, for checks of how the
// store uses it.
func bunDB(t testing.TB, st store.Store) *bun.DB {
	t.Helper()
	return sqlStore(t, st).DB()
}

// sqlStore returns the sqlstore.Store a backend's store is built on.
func sqlStore(t testing.TB, st store.Store) *sqlstore.Store {
	t.Helper()
	var inner store.Store
	switch s := st.(type) {
	case *sqlite.Store:
		inner = s.Store
	case *postgres.Store:
		inner = s.Store
	default:
		t.Fatalf("%T is not a store built on sqlstore", st)
	}
	return inner.(*sqlstore.Store)
}

// The checks' clock and billing period: every event counts in this month.
var (
	now         = time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC)
	periodStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	periodEnd   = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
)

// countedEvent is event n of subject: 1 of metric m now, against an unlimited
// quota of the checks' period.
func countedEvent(subject string, n int) store.IngestEvent {
	return store.IngestEvent{
		Event: store.Event{Subject: subject, ID: fmt.Sprint(n), Metric: "m", Value: 1, Time: now, Fingerprint: "f"},
		Quota: store.QuotaSpec{PeriodStart: periodStart, PeriodEnd: periodEnd, Aggregation: store.AggregationSum, Unlimited: true},
	}
}

// explainPrefix is how each backend asks for the plan of a query, by backend name.
var explainPrefix = map[string]string{
	"sqlite":   "EXPLAIN QUERY PLAN ",
	"postgres": "EXPLAIN ",
}

// explainOf returns explainPrefix for b, failing t for a backend the table lacks.
func explainOf(t testing.TB, b testdb.Backend) string {
	t.Helper()
	p, ok := explainPrefix[b.Name]
	if !ok {
		t.Fatalf("no EXPLAIN form for backend %q", b.Name)
	}
	return p
}

// ingestCounted ingests a countedEvent for each of subjects into st in one batch,
// numbering them on from *n, and requires every one to be inserted.
func ingestCounted(t *testing.T, st store.Store, n *int, subjects ...string) {
	t.Helper()
	var events []store.IngestEvent
	for _, s := range subjects {
		*n++
		events = append(events, countedEvent(s, *n))
	}
	res, err := st.Ingest(context.Background(), &store.IngestParams{Events: events, Now: now})
	require.NoError(t, err)
	for _, o := range res.Outcomes {
		require.Equal(t, store.StatusInserted, o.Status)
	}
}

// quotaStatements counts the statements of l that begin with prefix and name
// usage_quotas.
func quotaStatements(l *queryLog, prefix string) int {
	return len(l.matching(func(q string) bool {
		return strings.HasPrefix(q, prefix) && strings.Contains(q, "usage_quotas")
	}))
}

// insertedRows counts the rows inserted into table on the connection that st's
// writes share, from now on, as SQLite inserts them: the inserts run as prepared
// statements of the driver, which bun's hooks do not see. A row whose insert was
// rolled back counts all the same; one that existed and was left as it was (ON
// CONFLICT DO NOTHING) does not.
func insertedRows(t *testing.T, st store.Store, table string) *atomic.Int64 {
	t.Helper()
	return changedRows(t, st, sqlite3.SQLITE_INSERT, table)
}

// changedRows is insertedRows for the changes op (SQLITE_INSERT, SQLITE_UPDATE
// or SQLITE_DELETE).
func changedRows(t *testing.T, st store.Store, op int32, table string) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	require.NoError(t, sqlStore(t, st).OnWriterConn(context.Background(), func(dc any) error {
		c, ok := dc.(interface {
			RegisterPreUpdateHook(moderncsqlite.PreUpdateHookFn)
		})
		require.True(t, ok, "%T has no pre-update hook", dc)
		c.RegisterPreUpdateHook(func(d moderncsqlite.SQLitePreUpdateData) {
			if d.Op == op && d.TableName == table {
				n.Add(1)
			}
		})
		return nil
	}))
	return &n
}

// requireUsed checks the usage on the quota row of each subject's one quota.
func requireUsed(t *testing.T, st store.Store, used map[string]int64) {
	t.Helper()
	for subject, want := range used {
		quotas, err := st.GetQuotas(context.Background(), &store.GetQuotasParams{Subject: subject, At: now})
		require.NoError(t, err)
		require.Len(t, quotas.Quotas, 1, subject)
		require.Equal(t, want, quotas.Quotas[0].Used, subject)
	}
}

// loggedSQLiteAndOther is loggedSQLite with a second store on the same database,
// another writer whose statements are not logged.
func loggedSQLiteAndOther(t *testing.T) (st, other store.Store, queries *queryLog) {
	t.Helper()
	st, loc, queries := loggedSQLite(t)
	b, _ := testdb.Lookup("sqlite")
	return st, b.OpenAt(t, loc), queries
}

// loggedSQLite opens a new SQLite store whose statements are logged, each as it
// passes bun's hooks, and returns it, its location and the log.
func loggedSQLite(t *testing.T) (store.Store, string, *queryLog) {
	t.Helper()
	b, ok := testdb.Lookup("sqlite")
	require.True(t, ok)
	st, loc := b.OpenNew(t)
	return st, loc, logQueries(t, st)
}

// logQueries logs the statements of st from now on, each as it passes bun's hooks,
// and returns the log.
func logQueries(t *testing.T, st store.Store) *queryLog {
	t.Helper()
	queries := &queryLog{}
	//lint:ignore SA1019 WithQueryHook returns a copy of the DB, which the store does not use
	bunDB(t, st).AddQueryHook(queries)
	return queries
}
