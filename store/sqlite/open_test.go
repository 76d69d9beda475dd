package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
	"github.com/usagekit/usage/store/sqlite"
)

// A new file is switched to WAL by the first connection of whichever process
// opens it first. SQLite answers a switch that meets another connection's write
// lock with SQLITE_BUSY at once, without waiting out the busy timeout, so Open and
// New must wait for the lock themselves.
func TestOpenWaitsForTheLockAnotherConnectionHoldsOnANewFile(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(ctx context.Context, path string) (interface{ Close() error }, error)
	}{
		{"Open", func(ctx context.Context, path string) (interface{ Close() error }, error) {
			return sqlite.Open(ctx, path)
		}},
		{"New", func(ctx context.Context, path string) (interface{ Close() error }, error) {
			db, err := sql.Open("sqlite", sqlite.DSN(path))
			if err != nil {
				return nil, err
			}
			t.Cleanup(func() { db.Close() })
			return sqlite.New(ctx, db)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "usage.db")
			// Another process's connection, in the file's default rollback mode,
			// writing: it holds the lock a switch to WAL needs.
			conn := holdWriteLock(t, path)
			_, err := conn.ExecContext(ctx, "CREATE TABLE other (x INTEGER)")
			require.NoError(t, err)
			const held = 300 * time.Millisecond
			released := make(chan error, 1)
			go func() {
				time.Sleep(held)
				_, err := conn.ExecContext(ctx, "COMMIT")
				released <- err
			}()

			start := time.Now()
			st, err := tc.open(ctx, path)
			require.NoError(t, err, "opening a new file while another connection writes to it")
			require.GreaterOrEqual(t, time.Since(start), held, "opened before the other connection let go")
			require.NoError(t, <-released)
			require.NoError(t, st.Close())
			require.NoError(t, conn.Close())

			// A new connection reads the mode from the file.
			later, err := sql.Open("sqlite", path)
			require.NoError(t, err)
			t.Cleanup(func() { later.Close() })
			var mode string
			require.NoError(t, later.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode))
			require.Equal(t, "wal", mode, "the file's journal mode once opened")
		})
	}
}

// A file that cannot be opened, or a lock held past the busy timeout, is
// store.ErrUnavailable from Open and New, as from the Store's own calls: the
// database is there, or may be, but cannot serve now.
func TestOpenAndNewSayAFileTheyCannotOpenIsUnavailable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "usage.db")
	_, err := sqlite.Open(ctx, path)
	require.ErrorIs(t, err, store.ErrUnavailable, "Open")
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = sqlite.New(ctx, db)
	require.ErrorIs(t, err, store.ErrUnavailable, "New")
}

// Opening a database that has every migration does not wait for the write lock:
// a process that starts beside busy writers would otherwise wait for it, at worst
// past the busy timeout.
func TestOpenOfAnUpToDateFileWaitsForNoWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "usage.db")
	st, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	require.NoError(t, st.Close())

	// Another process's connection holds the write lock for the whole test.
	holdWriteLock(t, sqlite.DSN(path))

	openCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	st, err = sqlite.Open(openCtx, path)
	require.NoError(t, err, "opening while another connection holds the write lock")
	require.NoError(t, st.Close())
}

// holdWriteLock opens dsn as another process would and takes the write lock on
// one connection, which it returns. The lock is let go and the connection closed
// when the test ends, unless the test has done so.
func holdWriteLock(t *testing.T, dsn string) *sql.Conn {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = conn.ExecContext(ctx, "ROLLBACK")
		conn.Close()
	})
	_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	require.NoError(t, err)
	return conn
}
