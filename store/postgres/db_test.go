package postgres_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/usagekit/usage/store/postgres"
)

// openStore opens a store on dsn and closes it when the test ends.
func openStore(t testing.TB, dsn string) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// openSQL opens the database at dsn directly, beside the stores, for checks of what
// they stored. The DSN's search_path selects the test's schema.
func openSQL(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
