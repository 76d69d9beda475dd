package postgres_test

import (
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store/storetest"
)

var backend = testdb.Postgres()

var harness = storetest.Harness{
	NewDatabase: backend.NewDatabase,
	Open:        backend.Open,
	Outage:      backend.Outage,
	Settle:      backend.Settle,
	Features:    storetest.Features{ConcurrentWriters: true},
}

// newSchema creates an empty schema for one test and returns a DSN whose search_path
// selects it; the schema is dropped when the test ends.
func newSchema(t testing.TB) string { return backend.NewDatabase(t) }

func TestMain(m *testing.M) { storetest.Main(m, harness) }

func TestConformance(t *testing.T) { storetest.Exercise(t, harness) }
