package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// ingestConcurrencyTests are the contract of Ingest when batches run at once: on
// the same quota rows, with the same event, up to a limit, and from another store
// on the same database.
var ingestConcurrencyTests = []test{
	{"IngestConcurrentBatchesOnSharedQuotasDoNotDeadlock", ingestConcurrentBatchesOnSharedQuotasDoNotDeadlock},
	{"IngestSameEventConcurrentlyIsStoredAndChargedOnce", ingestSameEventConcurrentlyIsStoredAndChargedOnce},
	{"IngestHoldsTheLimitExactlyUnderConcurrency", ingestHoldsTheLimitExactlyUnderConcurrency},
	{"IngestDecidesAgainstQuotaRowsAsOthersLeftThem", ingestDecidesAgainstQuotaRowsAsOthersLeftThem},
}

func ingestConcurrentBatchesOnSharedQuotasDoNotDeadlock(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				// Each batch touches the same three quotas, in a different order.
				var batch []store.IngestEvent
				for k := range 3 {
					metric := fmt.Sprint("m", (g+i+k)%3)
					batch = append(batch, ingestEvent("acme", fmt.Sprint(g, "-", i, "-", k), metric, 1, store.AggregationSum, -1, false))
				}
				_, err := st.Ingest(context.Background(), &store.IngestParams{Events: batch, Now: storeNow})
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	var total int64
	for k := range 3 {
		total += getQuota(t, st, "acme", fmt.Sprint("m", k)).Used
	}
	require.Equal(t, int64(8*20*3*unit), total)
}

// ingestSameEventConcurrentlyIsStoredAndChargedOnce sends one event from many
// goroutines at once: one call inserts it, every other is answered as a replay of
// it, with the usage it left.
func ingestSameEventConcurrentlyIsStoredAndChargedOnce(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	const callers = 50
	outcomes := make([]store.Outcome, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			res, err := st.Ingest(context.Background(), &store.IngestParams{Now: storeNow, Events: []store.IngestEvent{
				ingestEvent("acme", "once", "api_calls", 3, store.AggregationSum, 10, false)}})
			if assert.NoError(t, err) && assert.Len(t, res.Outcomes, 1) {
				outcomes[i] = res.Outcomes[0]
			}
		})
	}
	wg.Wait()
	inserted := 0
	for _, o := range outcomes {
		switch o.Status {
		case store.StatusInserted:
			inserted++
		case store.StatusDuplicate:
			require.Equal(t, "once", o.Stored.ID)
		default:
			t.Fatalf("outcome %v for the same event sent again", o.Status)
		}
		require.Equal(t, int64(3*unit), o.UsedAfter, "every caller gets the usage the event left")
	}
	require.Equal(t, 1, inserted, "one call inserts the event")
	require.Len(t, listEvents(t, st, "acme"), 1)
	require.Equal(t, int64(3*unit), getQuota(t, st, "acme", "api_calls").Used, "charged once")
}

// ingestHoldsTheLimitExactlyUnderConcurrency has many goroutines take one credit at
// a time until refused: exactly the limit is admitted, and two concurrent requests
// of three with five left admit exactly one.
func ingestHoldsTheLimitExactlyUnderConcurrency(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	const limit, workers = 100, 16
	admitted := make([]int, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := 0; ; i++ {
				res, err := st.Ingest(context.Background(), &store.IngestParams{Now: storeNow, Events: []store.IngestEvent{
					ingestEvent("acme", fmt.Sprint(w, "-", i), "credits", 1, store.AggregationSum, limit, false)}})
				if !assert.NoError(t, err) || res.Outcomes[0].Status == store.StatusQuotaExceeded {
					return
				}
				assert.LessOrEqual(t, res.Outcomes[0].UsedAfter, int64(limit*unit))
				admitted[w]++
			}
		})
	}
	wg.Wait()
	total := 0
	for _, n := range admitted {
		total += n
	}
	require.Equal(t, limit, total, "exactly the limit is admitted")
	require.Len(t, listEvents(t, st, "acme"), limit, "the admitted events are stored")
	require.Equal(t, int64(limit*unit), getQuota(t, st, "acme", "credits").Used)

	ingest(t, st, ingestEvent("globex", "first", "credits", 5, store.AggregationSum, 10, false))
	results := make([]store.Status, 2)
	for i := range results {
		wg.Go(func() {
			res, err := st.Ingest(context.Background(), &store.IngestParams{Now: storeNow, Events: []store.IngestEvent{
				ingestEvent("globex", fmt.Sprint("three-", i), "credits", 3, store.AggregationSum, 10, false)}})
			if assert.NoError(t, err) {
				results[i] = res.Outcomes[0].Status
			}
		})
	}
	wg.Wait()
	require.ElementsMatch(t, []store.Status{store.StatusInserted, store.StatusQuotaExceeded}, results,
		"five left, two requests of three: one is admitted")
	require.Equal(t, int64(8*unit), getQuota(t, st, "globex", "credits").Used)
}

// ingestDecidesAgainstQuotaRowsAsOthersLeftThem has a store decide on a quota row
// that another store on the same database, a grant and a reset changed since this
// store last wrote it: its decisions follow the row as it stands, never as the
// store left it.
func ingestDecidesAgainstQuotaRowsAsOthersLeftThem(t *testing.T, h Harness) {
	t.Parallel()
	st, loc := open(t, h)
	other := openAt(t, h, loc)
	ctx := context.Background()
	event := func(id string, units float64) store.IngestEvent {
		return ingestEvent("acme", id, "credits", units, store.AggregationSum, 10, false)
	}

	ingest(t, st, event("a1", 5))
	ingest(t, other, event("b1", 4))
	out := ingest(t, st, event("a2", 3), event("a3", 1))
	require.Equal(t, []store.Status{store.StatusQuotaExceeded, store.StatusInserted}, statuses(out),
		"9 of 10 are used, not the 5 this store wrote")
	require.Equal(t, int64(9*unit), out[0].UsedBefore)
	require.Equal(t, int64(10*unit), out[1].UsedAfter)

	// A grant changes the limit alone, and a refusal is decided on the row too.
	_, err := other.AdjustQuota(ctx, &store.AdjustQuotaParams{Subject: "acme", Metric: "credits",
		Quota: event("", 0).Quota, Kind: store.AdjustmentGrant, Amount: 2 * unit, Now: storeNow})
	require.NoError(t, err)
	out = ingest(t, st, event("a4", 2))
	require.Equal(t, store.StatusInserted, out[0].Status, "the grant raised the limit to 12")
	require.Equal(t, int64(12*unit), out[0].UsedAfter)

	_, err = other.AdjustQuota(ctx, &store.AdjustQuotaParams{Subject: "acme", Metric: "credits",
		Quota: event("", 0).Quota, Kind: store.AdjustmentReset, Now: storeNow})
	require.NoError(t, err)
	out = ingest(t, st, event("a5", 1))
	require.Equal(t, store.StatusInserted, out[0].Status, "the reset granted the 10 used beyond grants")
	require.Equal(t, int64(22*unit), out[0].Limit)
	require.Equal(t, int64(13*unit), getQuota(t, st, "acme", "credits").Used)
	require.Len(t, listEvents(t, st, "acme"), 5)
}
