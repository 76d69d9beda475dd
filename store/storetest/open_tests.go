package storetest

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// openTests are the contract of opening a store: what a backend's Open does to the
// database before the first call.
var openTests = []test{
	{"OpenMigratesOnceFromManyGoroutines", openMigratesOnceFromManyGoroutines},
	{"CapabilitiesAreTheDeclaredFeatures", capabilitiesAreTheDeclaredFeatures},
}

func openMigratesOnceFromManyGoroutines(t *testing.T, h Harness) {
	t.Parallel()
	loc := h.NewDatabase(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			st, err := h.Open(context.Background(), loc)
			if err == nil {
				err = st.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err, "opening one database from several goroutines at once")
	}
	st := openAt(t, h, loc)
	ingest(t, st, ingestEvent("acme", "e1", "api_calls", 1, store.AggregationSum, -1, false))
}

// capabilitiesAreTheDeclaredFeatures checks that the backend tells its callers what
// its Harness tells the suite: the Meter sizes its writers by it.
func capabilitiesAreTheDeclaredFeatures(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	caps := st.Capabilities()
	require.NotEmpty(t, caps.Name)
	require.Equal(t, h.Features.ConcurrentWriters, caps.ConcurrentWriters, "Capabilities().ConcurrentWriters")
}
