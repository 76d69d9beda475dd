package sqlite_test

import (
	"testing"

	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store/storetest"
)

var backend = testdb.SQLite()

var harness = storetest.Harness{
	NewDatabase: backend.NewDatabase,
	Open:        backend.OpenWithDefaults,
	Outage:      backend.Outage,
	Settle:      backend.Settle,
	Features:    storetest.Features{ConcurrentWriters: false},
}

func TestMain(m *testing.M) { storetest.Main(m, harness) }

func TestConformance(t *testing.T) { storetest.Exercise(t, harness) }
