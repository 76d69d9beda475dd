package postgres_test

import (
	"context"
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
func openNew(t testing.TB) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), newSchema(t))
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
