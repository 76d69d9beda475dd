package postgres_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store/postgres"
	"github.com/usagekit/usage/store/storetest"
)

var backend = testdb.Postgres()

var harness = storetest.Harness{
	NewDatabase: backend.NewDatabase,
	Open:        backend.OpenWithDefaults,
	Outage:      backend.Outage,
	Settle:      backend.Settle,
	Features:    storetest.Features{ConcurrentWriters: true},
}

// newSchema creates an empty schema for one test and returns a DSN whose search_path
// selects it; the schema is dropped when the test ends.
func newSchema(t testing.TB) string { return backend.NewDatabase(t) }

// openNew opens a Store on a schema of its own, closed when the test ends.
func openNew(t testing.TB) *postgres.Store { t.Helper(); return openAt(t, newSchema(t)) }

// openAt opens a Store on dsn, closed when the test ends.
func openAt(t testing.TB, dsn string) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

func TestMain(m *testing.M) { storetest.Main(m, harness) }

func TestConformance(t *testing.T) { storetest.Exercise(t, harness) }

func TestOpenOpensItsConnectionsBeforeItReturns(t *testing.T) {
	s := postgres.BunDB(openNew(t)).DB.Stats()
	require.Equal(t, postgres.MaxOpenConns, s.OpenConnections, "connections open when Open returns")
	require.Equal(t, postgres.MaxOpenConns, s.Idle, "all of them idle in the pool")
}

func TestOpenHasEachConnectionLookUpTheTablesEveryTrackUses(t *testing.T) {
	ctx := context.Background()
	dsn := newSchema(t)
	st := openAt(t, dsn)
	// What every server process ran last, read from a connection of another pool
	// before the test's own statements on the Store's connections replace it.
	other, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { other.Close() })
	rows, err := other.QueryContext(ctx, "SELECT pid, query FROM pg_stat_activity")
	require.NoError(t, err)
	ranLast := map[int]string{}
	for rows.Next() {
		var pid int
		var query string
		require.NoError(t, rows.Scan(&pid, &query))
		ranLast[pid] = query
	}
	require.NoError(t, rows.Err())

	// Every connection of the pool at once, each with its server process.
	db := postgres.BunDB(st).DB
	conns := make([]*sql.Conn, postgres.MaxOpenConns)
	for i := range conns {
		conns[i], err = db.Conn(ctx)
		require.NoError(t, err)
		defer conns[i].Close()
		var pid int
		require.NoError(t, conns[i].QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid))
		require.Equal(t, postgres.WarmUp, ranLast[pid], "the last statement of connection %d's server process", i)
	}
	_, err = conns[0].ExecContext(ctx, postgres.WarmUp)
	require.NoError(t, err, "the warm-up runs on the current schema")
}

func TestIdleConnectionsAreDroppedWhenAConnectionIsLostNotWhenACallTimesOut(t *testing.T) {
	db := postgres.BunDB(openNew(t)).DB
	for _, err := range []error{context.DeadlineExceeded, context.Canceled, &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}} {
		postgres.DropIdle(db, err)
		require.Equal(t, postgres.MaxOpenConns, db.Stats().Idle, "after %v", err)
	}
	postgres.DropIdle(db, fmt.Errorf("write quota rows: %w", driver.ErrBadConn))
	require.Zero(t, db.Stats().Idle, "after a lost connection")
	// The pool keeps as many idle as before.
	testdb.RequireIdleConnectionsKept(t, db)
}

func TestOpenKeepsItsConnectionsOpenWhileIdle(t *testing.T) {
	testdb.RequireIdleConnectionsKept(t, postgres.BunDB(openNew(t)).DB)
}
