package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// quotasTests are the contract of GetQuotas.
var quotasTests = []test{
	{"GetQuotasSelectsThePeriodContainingAt", getQuotasSelectsThePeriodContainingAt},
	{"GetQuotasReturnsTheRowsOfTheMetricsAsked", getQuotasReturnsTheRowsOfTheMetricsAsked},
}

func getQuotasSelectsThePeriodContainingAt(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	next := ingestEvent("acme", "n1", "api_calls", 5, store.AggregationSum, -1, false)
	next.Quota.PeriodStart, next.Quota.PeriodEnd = periodEnd, periodEnd.AddDate(0, 1, 0)
	next.Event.Time = periodEnd
	ingest(t, st, ingestEvent("acme", "c1", "api_calls", 2, store.AggregationSum, -1, false), next)
	res, err := st.GetQuotas(context.Background(), &store.GetQuotasParams{Subject: "acme", At: periodEnd.Add(-time.Microsecond)})
	require.NoError(t, err)
	require.Len(t, res.Quotas, 1)
	require.Equal(t, int64(2*unit), res.Quotas[0].Used)
	res, err = st.GetQuotas(context.Background(), &store.GetQuotasParams{Subject: "acme", At: periodEnd})
	require.NoError(t, err)
	require.Len(t, res.Quotas, 1)
	require.Equal(t, int64(5*unit), res.Quotas[0].Used, "the new period starts from zero")
}

// getQuotasReturnsTheRowsOfTheMetricsAsked checks the metric filter, and that a
// quota with no usage yet has no row.
func getQuotasReturnsTheRowsOfTheMetricsAsked(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ingest(t, st,
		ingestEvent("acme", "a", "api_calls", 2, store.AggregationSum, 10, false),
		ingestEvent("acme", "b", "docs", 3, store.AggregationSum, 5, true),
		ingestEvent("acme", "c", "seats", 1, store.AggregationMax, -1, false),
		ingestEvent("globex", "a", "api_calls", 7, store.AggregationSum, 10, false))
	metrics := func(params store.GetQuotasParams) map[string]int64 {
		t.Helper()
		res, err := st.GetQuotas(context.Background(), &params)
		require.NoError(t, err)
		out := map[string]int64{}
		for _, q := range res.Quotas {
			require.Equal(t, params.Subject, q.Subject)
			out[q.Metric] = q.Used
		}
		return out
	}
	require.Equal(t, map[string]int64{"api_calls": 2 * unit, "docs": 3 * unit, "seats": unit},
		metrics(store.GetQuotasParams{Subject: "acme", At: storeNow}), "no metrics: all of them")
	require.Equal(t, map[string]int64{"docs": 3 * unit, "seats": unit},
		metrics(store.GetQuotasParams{Subject: "acme", Metrics: []string{"docs", "seats", "unused"}, At: storeNow}),
		"a metric without usage has no row")
	require.Empty(t, metrics(store.GetQuotasParams{Subject: "initech", At: storeNow}))

	q := getQuota(t, st, "acme", "docs")
	require.True(t, q.PeriodStart.Equal(periodStart) && q.PeriodEnd.Equal(periodEnd))
	require.Equal(t, store.AggregationSum, q.Aggregation)
	require.Equal(t, int64(5*unit), q.Limit)
	require.True(t, q.AllowOverage)
	require.False(t, q.Unlimited)
	require.Equal(t, int64(1), q.Count)
	require.True(t, q.LastAt.Equal(storeNow))
	require.True(t, q.UpdatedAt.Equal(storeNow))
	require.True(t, getQuota(t, st, "acme", "seats").Unlimited)
}
