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
