package storetest

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// anomaliesTests are the contract of anomaly records: InsertAnomalies,
// ListAnomalies and SetAnomalyStatus.
var anomaliesTests = []test{
	{"InsertAnomaliesIsIdempotentByKey", insertAnomaliesIsIdempotentByKey},
	{"InsertAnomaliesStoresEachKeyOnceUnderConcurrency", insertAnomaliesStoresEachKeyOnceUnderConcurrency},
	{"ListAnomaliesFiltersAndPages", listAnomaliesFiltersAndPages},
	{"SetAnomalyStatusChangesStatusAndNote", setAnomalyStatusChangesStatusAndNote},
}

func insertAnomaliesIsIdempotentByKey(t *testing.T, h Harness) {
	t.Parallel()
	ctx := context.Background()
	st, _ := open(t, h)
	first := []store.Anomaly{
		testAnomaly("acme", "api_calls", 0, "ensemble"),
		testAnomaly("acme", "api_calls", 1, "ensemble"),
		testAnomaly("acme", "api_calls", 1, "burst"),
	}
	first[0].Reasons = []store.AnomalyReason{{Detector: "seasonal", Stat: 209.5, Value: 0.95},
		{Detector: "velocity", Stat: -math.MaxFloat64, Value: 0.5}}
	first[0].FraudSuspect = true
	res, err := st.InsertAnomalies(ctx, &store.InsertAnomaliesParams{Anomalies: first})
	require.NoError(t, err)
	require.Len(t, res.Inserted, 3)
	for i, a := range res.Inserted {
		require.Positive(t, a.ID)
		if i > 0 {
			require.Greater(t, a.ID, res.Inserted[i-1].ID)
		}
	}

	again := append(first, testAnomaly("acme", "api_calls", 2, "ensemble"), testAnomaly("acme", "api_calls", 2, "ensemble"))
	res, err = st.InsertAnomalies(ctx, &store.InsertAnomaliesParams{Anomalies: again})
	require.NoError(t, err)
	require.Len(t, res.Inserted, 1, "only the new key is stored, once")
	require.True(t, res.Inserted[0].At.Equal(anomalyTime(2)))

	all := listAnomalies(t, st, store.ListAnomaliesParams{})
	require.Len(t, all, 4)
	got := all[0]
	require.True(t, got.At.Equal(first[0].At))
	require.True(t, got.CreatedAt.Equal(storeNow))
	require.True(t, got.UpdatedAt.Equal(storeNow), "UpdatedAt starts as CreatedAt")
	got.At, got.CreatedAt, got.UpdatedAt = first[0].At, first[0].CreatedAt, first[0].CreatedAt
	want := first[0]
	want.ID, want.UpdatedAt = got.ID, want.CreatedAt
	require.Equal(t, want, got, "every field round-trips")

	bad := testAnomaly("acme", "api_calls", 3, "ensemble")
	bad.Status = "closed"
	_, err = st.InsertAnomalies(ctx, &store.InsertAnomaliesParams{Anomalies: []store.Anomaly{
		testAnomaly("acme", "api_calls", 4, "ensemble"), bad}})
	require.ErrorIs(t, err, store.ErrInvalidStatus)
	require.Len(t, listAnomalies(t, st, store.ListAnomaliesParams{}), 4, "nothing of a refused call is stored")
}

func listAnomaliesFiltersAndPages(t *testing.T, h Harness) {
	t.Parallel()
	ctx := context.Background()
	st, _ := open(t, h)
	var batch []store.Anomaly
	for i := range 12 {
		batch = append(batch, testAnomaly([]string{"acme", "globex"}[i%2], []string{"api_calls", "documents", "api_calls"}[i%3], i, "ensemble"))
	}
	batch = append(batch, testAnomaly("acme", "api_calls", 0, "burst"))
	res, err := st.InsertAnomalies(ctx, &store.InsertAnomaliesParams{Anomalies: batch})
	require.NoError(t, err)
	require.Len(t, res.Inserted, 13)
	_, err = st.SetAnomalyStatus(ctx, &store.SetAnomalyStatusParams{ID: res.Inserted[4].ID,
		Status: store.AnomalyConfirmed, Now: storeNow})
	require.NoError(t, err)

	hours := func(as []store.Anomaly) []int {
		var out []int
		for _, a := range as {
			out = append(out, int(a.At.Sub(anomalyTime(0))/time.Hour))
		}
		return out
	}
	require.Equal(t, []int{0, 2, 4, 6, 8, 10, 0}, hours(listAnomalies(t, st, store.ListAnomaliesParams{Subject: "acme"})))
	require.Equal(t, []int{0, 2, 6, 8, 0}, hours(listAnomalies(t, st, store.ListAnomaliesParams{Subject: "acme", Metric: "api_calls"})))
	require.Equal(t, []int{0}, hours(listAnomalies(t, st, store.ListAnomaliesParams{Method: "burst"})))
	require.Equal(t, []int{4}, hours(listAnomalies(t, st, store.ListAnomaliesParams{Status: store.AnomalyConfirmed})))
	require.Len(t, listAnomalies(t, st, store.ListAnomaliesParams{Status: store.AnomalyOpen}), 12)
	require.Equal(t, []int{3, 4, 5}, hours(listAnomalies(t, st, store.ListAnomaliesParams{Method: "ensemble",
		From: anomalyTime(3), To: anomalyTime(6)})), "From inclusive, To exclusive")
	require.Equal(t, []int{10, 11}, hours(listAnomalies(t, st, store.ListAnomaliesParams{From: anomalyTime(10)})))

	var paged []store.Anomaly
	var after int64
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10)
		r, err := st.ListAnomalies(ctx, &store.ListAnomaliesParams{AfterID: after, Limit: 5})
		require.NoError(t, err)
		require.LessOrEqual(t, len(r.Anomalies), 5)
		if len(r.Anomalies) == 0 {
			break
		}
		paged = append(paged, r.Anomalies...)
		after = r.Anomalies[len(r.Anomalies)-1].ID
	}
	require.Len(t, paged, 13, "pages cover every record once")
	for i := 1; i < len(paged); i++ {
		require.Greater(t, paged[i].ID, paged[i-1].ID)
	}

	_, err = st.ListAnomalies(ctx, &store.ListAnomaliesParams{Status: "closed"})
	require.ErrorIs(t, err, store.ErrInvalidStatus)
}

func setAnomalyStatusChangesStatusAndNote(t *testing.T, h Harness) {
	t.Parallel()
	ctx := context.Background()
	st, _ := open(t, h)
	res, err := st.InsertAnomalies(ctx, &store.InsertAnomaliesParams{Anomalies: []store.Anomaly{
		testAnomaly("acme", "api_calls", 0, "ensemble")}})
	require.NoError(t, err)
	id := res.Inserted[0].ID
	later := storeNow.Add(time.Hour)
	set, err := st.SetAnomalyStatus(ctx, &store.SetAnomalyStatusParams{ID: id,
		Status: store.AnomalyInvestigating, Note: "asked the customer", Now: later})
	require.NoError(t, err)
	require.Equal(t, store.AnomalyInvestigating, set.Anomaly.Status)
	require.Equal(t, "asked the customer", set.Anomaly.Note)
	require.True(t, set.Anomaly.UpdatedAt.Equal(later))
	require.True(t, set.Anomaly.CreatedAt.Equal(storeNow))
	require.Equal(t, id, set.Anomaly.ID)

	_, err = st.SetAnomalyStatus(ctx, &store.SetAnomalyStatusParams{ID: id + 1000, Status: store.AnomalyDismissed, Now: later})
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = st.SetAnomalyStatus(ctx, &store.SetAnomalyStatusParams{ID: id, Status: "closed", Now: later})
	require.ErrorIs(t, err, store.ErrInvalidStatus)

	got := listAnomalies(t, st, store.ListAnomaliesParams{})
	require.Len(t, got, 1)
	require.Equal(t, store.AnomalyInvestigating, got[0].Status, "a refused change changes nothing")
	require.Equal(t, "asked the customer", got[0].Note)
}

// anomalyTime is the time of test anomaly i: one hour apart.
func anomalyTime(i int) time.Time { return storeNow.Add(time.Duration(i-24) * time.Hour) }

func testAnomaly(subject, metric string, i int, method string) store.Anomaly {
	return store.Anomaly{Subject: subject, Metric: metric, At: anomalyTime(i), Method: method,
		Value: 1000.5, Expected: 120.25, Score: 0.93, Risk: 97, Status: store.AnomalyOpen,
		CreatedAt: storeNow}
}

func listAnomalies(t *testing.T, st store.Store, params store.ListAnomaliesParams) []store.Anomaly {
	t.Helper()
	res, err := st.ListAnomalies(context.Background(), &params)
	require.NoError(t, err)
	return res.Anomalies
}

// insertAnomaliesStoresEachKeyOnceUnderConcurrency has several detectors store
// overlapping records at once, as instances of a host do: each record is stored
// once, and reported as inserted by one call only.
func insertAnomaliesStoresEachKeyOnceUnderConcurrency(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	const callers, records = 8, 20
	inserted := make([][]store.Anomaly, callers)
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			var batch []store.Anomaly
			for i := range records {
				// Each caller starts elsewhere, so the calls overlap in every order.
				batch = append(batch, testAnomaly("acme", "api_calls", (i+c*3)%records, "ensemble"))
			}
			res, err := st.InsertAnomalies(context.Background(), &store.InsertAnomaliesParams{Anomalies: batch})
			if assert.NoError(t, err) {
				inserted[c] = res.Inserted
			}
		})
	}
	wg.Wait()
	ids := map[int64]bool{}
	for _, as := range inserted {
		for _, a := range as {
			require.False(t, ids[a.ID], "record %d reported inserted twice", a.ID)
			ids[a.ID] = true
		}
	}
	require.Len(t, ids, records, "each record is reported inserted by one call")
	require.Len(t, listAnomalies(t, st, store.ListAnomaliesParams{}), records, "each record is stored once")
}
