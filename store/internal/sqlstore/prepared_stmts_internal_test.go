package sqlstore

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"
)

// A statement prepared past the limit lasts one call; the kept ones last until
// close.
func TestPreparedStatementsPastTheLimitLastOneCall(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", ":memory:")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })

	p := newPreparedStmts(conn, 1)
	one, two := preparedKey{head: "SELECT ", width: 1, n: 1}, preparedKey{head: "SELECT ", width: 1, n: 2}
	kept, err := p.get(ctx, one)
	require.NoError(t, err)
	once, err := p.get(ctx, two)
	require.NoError(t, err)
	again, err := p.get(ctx, one)
	require.NoError(t, err)
	require.Same(t, kept, again, "a kept statement is not prepared again")
	_, err = once.ExecContext(ctx, 1, 2)
	require.NoError(t, err)

	require.NoError(t, p.endCall())
	_, err = once.ExecContext(ctx, 1, 2)
	require.ErrorContains(t, err, "closed", "past the limit: closed at the end of its call")
	_, err = kept.ExecContext(ctx, 1)
	require.NoError(t, err, "kept across calls")

	require.NoError(t, p.close())
	_, err = kept.ExecContext(ctx, 1)
	require.ErrorContains(t, err, "closed")
	require.Empty(t, p.kept)
}

// Each chunk is the largest power of two up to rowsPerInsert that the rows left
// hold, so the chunks of any count add up to it in a few forms.
func TestChunkRows(t *testing.T) {
	for n := 1; n <= 3*rowsPerInsert; n++ {
		c := chunkRows(n)
		require.LessOrEqual(t, c, min(n, rowsPerInsert), n)
		require.Zero(t, c&(c-1), "%d: %d is not a power of two", n, c)
		require.True(t, c == rowsPerInsert || 2*c > n, "%d: %d is not the largest", n, c)
	}
}
