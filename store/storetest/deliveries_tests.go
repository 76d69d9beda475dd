package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// deliveriesTests are the contract of the alert outbox: ClaimDeliveries and
// CompleteDelivery.
var deliveriesTests = []test{
	{"ClaimDeliveriesNeverHandsOutOneAttemptTwice", claimDeliveriesNeverHandsOutOneAttemptTwice},
	{"ADeliveryWhoseLeaseEndsIsClaimedAgain", aDeliveryWhoseLeaseEndsIsClaimedAgain},
	{"CompleteDeliveryRecordsTheOutcome", completeDeliveryRecordsTheOutcome},
}

// raiseAlerts stores n forecast alerts of distinct refs, each with a pending
// delivery.
func raiseAlerts(t testing.TB, st store.Store, n int) {
	t.Helper()
	alerts := make([]store.Alert, n)
	for i := range alerts {
		alerts[i] = store.Alert{Kind: store.AlertForecast, Severity: store.SeverityWarning, Subject: "acme",
			Metric: "api_calls", Ref: int64(i + 1), PeriodStart: periodStart, PeriodEnd: periodEnd}
	}
	_, err := st.InsertAlerts(context.Background(), &store.InsertAlertsParams{Alerts: alerts, Now: storeNow})
	require.NoError(t, err)
}

func claim(t testing.TB, st store.Store, now time.Time, limit int) []store.Alert {
	t.Helper()
	res, err := st.ClaimDeliveries(context.Background(), &store.ClaimDeliveriesParams{Now: now, Lease: time.Minute, Limit: limit})
	require.NoError(t, err)
	return res.Alerts
}

func claimDeliveriesNeverHandsOutOneAttemptTwice(t *testing.T, h Harness) {
	t.Parallel()
	_, loc := open(t, h)
	st := openAt(t, h, loc)
	raiseAlerts(t, st, 40)
	stores := []store.Store{st, openAt(t, h, loc)}
	var mu sync.Mutex
	claimed := map[int64]int{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for {
				got := claim(t, stores[w%2], storeNow, 3)
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, a := range got {
					claimed[a.Delivery.ID]++
					require.Equal(t, 1, a.Delivery.Attempts)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Len(t, claimed, 40)
	for id, n := range claimed {
		require.Equal(t, 1, n, "delivery %d claimed %d times within its lease", id, n)
	}
}

func aDeliveryWhoseLeaseEndsIsClaimedAgain(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	raiseAlerts(t, st, 1)
	first := claim(t, st, storeNow, 10)
	require.Len(t, first, 1)
	require.Empty(t, claim(t, st, storeNow.Add(time.Minute-time.Microsecond), 10), "within the lease")
	again := claim(t, st, storeNow.Add(time.Minute), 10)
	require.Len(t, again, 1, "the claimer died: due again when its lease ends")
	require.Equal(t, 2, again[0].Delivery.Attempts)
	require.Equal(t, first[0].Delivery.ID, again[0].Delivery.ID, "the same delivery, the same ID")
	res, err := st.CompleteDelivery(context.Background(), &store.CompleteDeliveryParams{ID: first[0].Delivery.ID,
		Attempt: 1, State: store.DeliveryDelivered, Now: storeNow})
	require.NoError(t, err)
	require.False(t, res.Completed, "the stale claim changes nothing")
}

func completeDeliveryRecordsTheOutcome(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ctx := context.Background()
	raiseAlerts(t, st, 2)
	got := claim(t, st, storeNow, 10)
	require.Len(t, got, 2)
	retryAt := storeNow.Add(time.Hour)
	res, err := st.CompleteDelivery(ctx, &store.CompleteDeliveryParams{ID: got[0].Delivery.ID, Attempt: 1,
		State: store.DeliveryPending, NextAt: retryAt, DeliveredTo: []string{"log"}, Error: "503", Now: storeNow})
	require.NoError(t, err)
	require.True(t, res.Completed)
	res, err = st.CompleteDelivery(ctx, &store.CompleteDeliveryParams{ID: got[1].Delivery.ID, Attempt: 1,
		State: store.DeliveryFailed, Error: "gave up", Now: storeNow})
	require.NoError(t, err)
	require.True(t, res.Completed)
	require.Empty(t, claim(t, st, retryAt.Add(-time.Microsecond), 10))
	again := claim(t, st, retryAt, 10)
	require.Len(t, again, 1, "the failed delivery is not claimed again")
	require.Equal(t, []string{"log"}, again[0].Delivery.DeliveredTo)
	require.Equal(t, "503", again[0].Delivery.LastError)
	res, err = st.CompleteDelivery(ctx, &store.CompleteDeliveryParams{ID: again[0].Delivery.ID, Attempt: 2,
		State: store.DeliveryDelivered, DeliveredTo: []string{"log", "hook"}, Now: retryAt})
	require.NoError(t, err)
	require.True(t, res.Completed)
	states := map[string]int{}
	for _, a := range listAlerts(t, st, store.ListAlertsParams{}) {
		states[a.Delivery.State]++
	}
	require.Equal(t, map[string]int{store.DeliveryDelivered: 1, store.DeliveryFailed: 1}, states, "failed deliveries stay visible")
}
