package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/usagekit/usage/store/sqlite"
)

// newDatabase returns the path of a new database file for one test.
func newDatabase(t testing.TB) string { return filepath.Join(t.TempDir(), "usage.db") }

// openStore opens a store on path and closes it when the test ends.
func openStore(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// openSQL opens the database at path directly, beside the stores, for checks of
// what they stored.
func openSQL(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
