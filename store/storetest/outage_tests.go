package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// outageTests are the contract when the database cannot be reached.
var outageTests = []test{
	{"IngestDuringAnOutageStoresNothingAndRecovers", ingestDuringAnOutageStoresNothingAndRecovers},
}

// outageCallTimeout is how long a call during the outage may wait for the database.
const outageCallTimeout = 2 * time.Second

// ingestDuringAnOutageStoresNothingAndRecovers cuts the database under an open
// store that has just served several calls at once: an Ingest fails, with
// ErrUnavailable or when its context ends, and stores nothing; once the database is
// back the same store ingests again, at its first call, and the failed batch is new
// to it.
func ingestDuringAnOutageStoresNothingAndRecovers(t *testing.T, h Harness) {
	if h.Outage == nil {
		t.Fatal("Harness.Outage is nil: the backend must say how to make its database unavailable (see Harness.Outage)")
	}
	t.Parallel()
	loc := h.NewDatabase(t)
	storeLoc, cut, restore := h.Outage(t, loc)
	var once sync.Once
	restoreOnce := func() { once.Do(restore) }
	t.Cleanup(restoreOnce)
	st := openAt(t, h, storeLoc)
	ingest(t, st, ingestEvent("acme", "before", "credits", 1, store.AggregationSum, 10, false))
	// A store in use holds several connections, each used just before the cut.
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = st.GetQuotas(context.Background(), &store.GetQuotasParams{Subject: "acme", Metrics: []string{"credits"}, At: storeNow})
		})
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))

	cut()
	batch := []store.IngestEvent{
		ingestEvent("acme", "during-1", "credits", 2, store.AggregationSum, 10, false),
		ingestEvent("acme", "during-2", "credits", 3, store.AggregationSum, 10, false),
	}
	ctx, cancel := context.WithTimeout(context.Background(), outageCallTimeout)
	_, err := st.Ingest(ctx, &store.IngestParams{Events: batch, Now: storeNow})
	cancel()
	require.Error(t, err, "an Ingest while the database is cut")
	require.True(t, errors.Is(err, store.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded),
		"the error says the database is unavailable, or that the call's context ended: %v", err)
	restoreOnce()

	out := ingest(t, st, batch...)
	require.Equal(t, []store.Status{store.StatusInserted, store.StatusInserted}, statuses(out),
		"nothing of the failed batch was stored")
	require.Equal(t, int64(6*unit), getQuota(t, st, "acme", "credits").Used)
	require.Len(t, listEvents(t, st, "acme"), 3)
}
