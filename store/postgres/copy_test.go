package postgres_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store/internal/sqlstore"
	"github.com/usagekit/usage/store/postgres"
)

// CopyRows sends its statements and rows in one message; these are the paths that
// the conformance suite, which ingests through it, does not take.
func TestCopyRows(t *testing.T) {
	ctx := context.Background()
	st := openNew(t)
	conn, err := postgres.BunDB(st).Conn(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	_, err = conn.ExecContext(ctx, "CREATE TABLE copied (name TEXT NOT NULL, n BIGINT NOT NULL)")
	require.NoError(t, err)
	rows := func(i int, w sqlstore.RowWriter) { w.Text("row"); w.Int(int64(i)) }
	count := func() (n int) {
		require.NoError(t, conn.QueryRowContext(ctx, "SELECT count(*) FROM copied").Scan(&n))
		return n
	}

	t.Run("StatementsBeforeRunInTheSameTransaction", func(t *testing.T) {
		tx, err := conn.BeginTx(ctx, nil)
		require.NoError(t, err)
		require.NoError(t, postgres.CopyRows(ctx, conn.Conn, []string{"INSERT INTO copied VALUES ('before', -1)"}, nil,
			"copied", []string{"name", "n"}, 1000, rows))
		require.NoError(t, tx.Commit())
		require.Equal(t, 1001, count())
	})

	t.Run("AFailingStatementStopsTheCopyAndTheConnectionStaysUsable", func(t *testing.T) {
		tx, err := conn.BeginTx(ctx, nil)
		require.NoError(t, err)
		// Enough rows that pgconn is still sending when the server has failed.
		err = postgres.CopyRows(ctx, conn.Conn, []string{"SELECT 1/0"}, nil, "copied", []string{"name", "n"}, 200_000, rows)
		require.ErrorContains(t, err, "division by zero")
		require.NoError(t, tx.Rollback())
		require.Equal(t, 1001, count(), "nothing of the failed copy is stored")
	})

	t.Run("StatementsAfterSeeTheRowsAndCanCommitThem", func(t *testing.T) {
		// BEGIN and COMMIT in the message itself: what a pipelined Ingest sends.
		require.NoError(t, postgres.CopyRows(ctx, conn.Conn, []string{"BEGIN"},
			[]string{"INSERT INTO copied SELECT 'after', count(*) FROM copied", "COMMIT"},
			"copied", []string{"name", "n"}, 10, rows))
		var after int
		require.NoError(t, postgres.BunDB(st).QueryRowContext(ctx, "SELECT n FROM copied WHERE name = 'after'").Scan(&after))
		require.Equal(t, 1011, after, "the statement after ran once the rows were in, and committed: "+
			"another connection sees it")
		require.Equal(t, 1012, count())
	})

	t.Run("AFailingStatementAfterUndoesTheRows", func(t *testing.T) {
		err := postgres.CopyRows(ctx, conn.Conn, []string{"BEGIN"}, []string{"SELECT 1/0", "COMMIT"},
			"copied", []string{"name", "n"}, 10, rows)
		require.ErrorContains(t, err, "division by zero")
		_, err = conn.ExecContext(ctx, "ROLLBACK")
		require.NoError(t, err)
		require.Equal(t, 1012, count())
	})

	t.Run("BooleansAreCopiedAsTheServerReadsThem", func(t *testing.T) {
		_, err := conn.ExecContext(ctx, "CREATE TABLE flags (n BIGINT NOT NULL, b BOOLEAN NOT NULL)")
		require.NoError(t, err)
		require.NoError(t, postgres.CopyRows(ctx, conn.Conn, nil, nil, "flags", []string{"n", "b"}, 5,
			func(i int, w sqlstore.RowWriter) { w.Int(int64(i)); w.Bool(i%2 == 0) }))
		var set []int64
		rows, err := conn.QueryContext(ctx, "SELECT n FROM flags WHERE b ORDER BY n")
		require.NoError(t, err)
		defer rows.Close()
		for rows.Next() {
			var n int64
			require.NoError(t, rows.Scan(&n))
			set = append(set, n)
		}
		require.NoError(t, rows.Err())
		require.Equal(t, []int64{0, 2, 4}, set)
	})

	t.Run("ARowWithTooFewValuesIsRefusedBeforeSending", func(t *testing.T) {
		err := postgres.CopyRows(ctx, conn.Conn, nil, nil, "copied", []string{"name", "n"}, 2,
			func(i int, w sqlstore.RowWriter) {
				w.Text("row")
				if i == 0 {
					w.Int(1)
				}
			})
		require.ErrorContains(t, err, "copy row 1: 1 values for 2 columns")
		require.Equal(t, 1012, count())
	})
}
