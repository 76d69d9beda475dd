package testdb

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/usagekit/usage/store"
	"github.com/usagekit/usage/store/sqlite"
)

// SQLite is the embedded backend: one database file per test under t.TempDir().
func SQLite() Backend {
	return Backend{
		Name:        "sqlite",
		NewDatabase: func(t testing.TB) string { return filepath.Join(t.TempDir(), "usage.db") },
		Open: func(ctx context.Context, path string, opts ...store.Option) (store.Store, error) {
			return sqlite.Open(ctx, path, opts...)
		},
		Outage: sqliteOutage,
		// A process's writes to the file end with it.
		Settle: func(testing.TB, string) {},
	}
}

// sqliteOutage makes the database at path unavailable to writers by holding its
// write lock from another connection: a store's write then waits for the lock for
// its busy timeout and fails with store.ErrUnavailable, or ends with its context,
// until restore releases it.
func sqliteOutage(t testing.TB, path string) (string, func(), func()) {
	var db *sql.DB
	var conn *sql.Conn
	release := func() {
		if conn == nil {
			return
		}
		if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
			t.Errorf("release the write lock: %v", err)
		}
		conn.Close()
		db.Close()
		conn, db = nil, nil
	}
	t.Cleanup(release)
	cut := func() {
		if conn != nil {
			t.Fatal("outage: cut twice without restore")
		}
		var err error
		if db, err = sql.Open("sqlite", sqlite.DSN(path)); err != nil {
			t.Fatal(err)
		}
		if conn, err = db.Conn(context.Background()); err == nil {
			err = lockExclusive(conn)
		}
		if err != nil {
			db.Close()
			conn, db = nil, nil
			t.Fatalf("outage: take the write lock: %v", err)
		}
	}
	return path, cut, release
}

// lockExclusive takes the write lock on conn, trying again while busy: the stores'
// writers take the lock back to back, and one busy timeout may pass before a gap.
func lockExclusive(conn *sql.Conn) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		_, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE")
		var e *msqlite.Error
		if err == nil || !errors.As(err, &e) || e.Code()&0xff != sqlite3.SQLITE_BUSY || ctx.Err() != nil {
			return err
		}
	}
}
