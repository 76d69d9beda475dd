package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/usagekit/usage/store"
	"github.com/usagekit/usage/store/postgres"
	"github.com/usagekit/usage/store/storetest"
)

// defaultDSN is the local server the tests use when USAGE_TEST_POSTGRES_DSN is unset.
const defaultDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

var harness = storetest.Harness{
	NewDatabase: newSchema,
	Open: func(ctx context.Context, dsn string) (store.Store, error) {
		return postgres.Open(ctx, dsn)
	},
	Outage:   outage,
	Features: storetest.Features{ConcurrentWriters: true},
}

func TestMain(m *testing.M) { storetest.Main(m, harness) }

func TestConformance(t *testing.T) { storetest.Exercise(t, harness) }

// baseDSN returns the server to test against, or skips t — except in CI, where a
// missing Postgres fails the test instead of hiding it.
func baseDSN(t testing.TB) string {
	dsn := os.Getenv("USAGE_TEST_POSTGRES_DSN")
	if dsn == "" {
		dsn = defaultDSN
	}
	db, err := sql.Open("pgx", dsn)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = db.PingContext(ctx)
		cancel()
		db.Close()
	}
	if err != nil {
		msg := "POSTGRES TESTS SKIPPED: no server at " + dsn + " (" + err.Error() + "); set USAGE_TEST_POSTGRES_DSN or run scripts/test, which starts one"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dsn
}

// newSchema creates an empty schema for one test and returns a DSN whose search_path
// selects it; the schema is dropped when the test ends.
func newSchema(t testing.TB) string {
	base := baseDSN(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "usage_test_" + hex.EncodeToString(b[:])
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer db.Close()
		if _, err := db.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("USAGE_TEST_POSTGRES_DSN must be a URL (postgres://…): %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
