package testdb

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"
)

// RequireIdleConnectionsKept takes every connection db may open at once, gives them
// all back, and fails unless the pool kept them all open: a pool that closes the
// connections a burst needed opens them again at the next burst.
func RequireIdleConnectionsKept(t testing.TB, db *sql.DB) {
	t.Helper()
	ctx := context.Background()
	n := db.Stats().MaxOpenConnections
	require.Positive(t, n, "the pool bounds its connections")
	closedBefore := db.Stats().MaxIdleClosed
	conns := make([]*sql.Conn, n)
	for i := range conns {
		c, err := db.Conn(ctx)
		require.NoError(t, err)
		require.NoError(t, c.PingContext(ctx))
		conns[i] = c
	}
	for _, c := range conns {
		require.NoError(t, c.Close())
	}
	s := db.Stats()
	require.Equal(t, closedBefore, s.MaxIdleClosed, "connections closed for want of idle room")
	require.Equal(t, n, s.Idle, "connections kept open while idle")
}
