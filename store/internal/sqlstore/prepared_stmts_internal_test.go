package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"testing"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"
)

// Statements run with the arguments written since the last run; one prepared past
// the limit lasts one call, the kept ones last until close.
func TestPreparedStatementsPastTheLimitLastOneCall(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", ":memory:")
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	_, err = conn.ExecContext(ctx, "CREATE TABLE t (a TEXT, b INTEGER)")
	require.NoError(t, err)

	p := newPreparedStmts(conn, 1)
	one := preparedKey{head: "INSERT INTO t VALUES ", width: 2, n: 1}
	two := preparedKey{head: "INSERT INTO t VALUES ", width: 2, n: 2}
	require.NoError(t, p.run(func(dc driver.ConnPrepareContext) error {
		p.Text("x")
		p.Int(1)
		n, err := p.exec(ctx, dc, one)
		require.NoError(t, err)
		require.Equal(t, int64(1), n)
		p.Text("y")
		p.Int(2)
		p.Text("z")
		p.Int(3)
		n, err = p.exec(ctx, dc, two)
		require.NoError(t, err)
		require.Equal(t, int64(2), n)
		kept, err := p.get(ctx, dc, one)
		require.NoError(t, err)
		require.Same(t, p.kept[one], kept, "a kept statement is not prepared again")
		return nil
	}))
	require.Len(t, p.kept, 1)
	require.Len(t, p.once, 1, "past the limit")
	var rows, sum int64
	require.NoError(t, conn.QueryRowContext(ctx, "SELECT count(*), sum(b) FROM t").Scan(&rows, &sum))
	require.Equal(t, []int64{3, 6}, []int64{rows, sum}, "each run had its own arguments")

	require.NoError(t, p.endCall())
	require.Empty(t, p.once, "closed at the end of its call")
	require.Len(t, p.kept, 1, "kept across calls")
	require.NoError(t, p.close())
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
