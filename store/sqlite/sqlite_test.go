package sqlite_test

import (
	"context"
	"testing"

	"github.com/usagekit/usage/store"
	"github.com/usagekit/usage/store/sqlite"
	"github.com/usagekit/usage/store/storetest"
)

var harness = storetest.Harness{
	NewDatabase: newDatabase,
	Open: func(ctx context.Context, path string) (store.Store, error) {
		return sqlite.Open(ctx, path)
	},
	Outage:   outage,
	Features: storetest.Features{ConcurrentWriters: false},
}

func TestMain(m *testing.M) { storetest.Main(m, harness) }

func TestConformance(t *testing.T) { storetest.Exercise(t, harness) }
