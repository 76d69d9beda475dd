package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// alertsTests are the contract of the alerts Ingest, InsertAnomalies,
// CorrectEvent and AdjustQuota raise or rearm, and of InsertAlerts, ListAlerts,
// AcknowledgeAlert and CountUnacknowledgedAlerts.
var alertsTests = []test{
	{"IngestRaisesEachThresholdOncePerPeriod", ingestRaisesEachThresholdOncePerPeriod},
	{"IngestRaisesEachThresholdOnceUnderConcurrentBatches", ingestRaisesEachThresholdOnceUnderConcurrentBatches},
	{"IngestRaisesOneRefusalAlertPerPeriod", ingestRaisesOneRefusalAlertPerPeriod},
	{"IngestRaisesNoAlertsWithoutLevelsOrLimit", ingestRaisesNoAlertsWithoutLevelsOrLimit},
	{"ANewPeriodStartsWithoutAlerts", aNewPeriodStartsWithoutAlerts},
	{"InsertAlertsStoresEachKeyOnce", insertAlertsStoresEachKeyOnce},
	{"ListAlertsFiltersAndPagesNewestFirst", listAlertsFiltersAndPagesNewestFirst},
	{"AcknowledgeAlertRecordsTheFirstAcknowledgementOnly", acknowledgeAlertRecordsTheFirstAcknowledgementOnly},
	{"InsertAnomaliesRaisesOneAlertPerFraudSuspect", insertAnomaliesRaisesOneAlertPerFraudSuspect},
	{"ACorrectionBelowAThresholdLetsItFireAgain", aCorrectionBelowAThresholdLetsItFireAgain},
	{"AResetLetsThresholdsAndRefusalsFireAgain", aResetLetsThresholdsAndRefusalsFireAgain},
}

// defaultLevels are the usual 80, 90 and 100 %.
var defaultLevels = []store.AlertLevel{
	{Threshold: 8000, Severity: store.SeverityWarning},
	{Threshold: 9000, Severity: store.SeverityHigh},
	{Threshold: 10000, Severity: store.SeverityCritical},
}

// alerting is ingestEvent with the default levels.
func alerting(s, id string, value float64, limit int64, overage bool) store.IngestEvent {
	ie := ingestEvent(s, id, "api_calls", value, store.AggregationSum, limit, overage)
	ie.Quota.Alerts = defaultLevels
	return ie
}

func listAlerts(t testing.TB, st store.Store, params store.ListAlertsParams) []store.Alert {
	t.Helper()
	res, err := st.ListAlerts(context.Background(), &params)
	require.NoError(t, err)
	return res.Alerts
}

// thresholdsOf returns the thresholds of alerts, oldest first.
func thresholdsOf(alerts []store.Alert) []int64 {
	out := make([]int64, len(alerts))
	for i, a := range alerts {
		out[len(alerts)-1-i] = a.Threshold
	}
	return out
}

func ingestRaisesEachThresholdOncePerPeriod(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ingest(t, st, alerting("acme", "a", 79, 100, true))
	require.Empty(t, listAlerts(t, st, store.ListAlertsParams{Subject: "acme"}), "below 80 %")
	// One batch passes 80 % with two events: one alert.
	ingest(t, st, alerting("acme", "b", 0.5, 100, true), alerting("acme", "c", 1, 100, true))
	ingest(t, st, alerting("acme", "d", 5, 100, true))
	// One batch passes 90 % and 100 %: both, once each.
	ingest(t, st, alerting("acme", "e", 20, 100, true))
	ingest(t, st, alerting("acme", "f", 20, 100, true))
	alerts := listAlerts(t, st, store.ListAlertsParams{Subject: "acme"})
	require.Equal(t, []int64{8000, 9000, 10000}, thresholdsOf(alerts))
	first := alerts[2]
	require.Equal(t, store.AlertThreshold, first.Kind)
	require.Equal(t, store.SeverityWarning, first.Severity)
	require.Equal(t, "api_calls", first.Metric)
	require.Equal(t, int64(80.5*unit), first.Used, "usage as the batch that crossed left it")
	require.Equal(t, int64(100*unit), first.Limit)
	require.True(t, first.PeriodStart.Equal(periodStart) && first.PeriodEnd.Equal(periodEnd))
	require.True(t, first.CreatedAt.Equal(storeNow))
	require.Equal(t, store.SeverityCritical, alerts[0].Severity)
	for _, a := range alerts {
		require.Equal(t, store.DeliveryPending, a.Delivery.State, "each alert has a pending delivery")
		require.NotZero(t, a.Delivery.ID)
	}
}

// ingestRaisesEachThresholdOnceUnderConcurrentBatches races many batches across
// the levels: each is raised once, whichever batch crossed it.
func ingestRaisesEachThresholdOnceUnderConcurrentBatches(t *testing.T, h Harness) {
	t.Parallel()
	_, loc := open(t, h)
	stores := []store.Store{openAt(t, h, loc), openAt(t, h, loc), openAt(t, h, loc)}
	var wg sync.WaitGroup
	for w := range 12 {
		wg.Go(func() {
			st := stores[w%len(stores)]
			for i := range 10 {
				_, err := st.Ingest(context.Background(), &store.IngestParams{Now: storeNow,
					Events: []store.IngestEvent{alerting("acme", fmt.Sprintf("w%d-%d", w, i), 1, 100, true)}})
				require.NoError(t, err)
			}
		})
	}
	wg.Wait()
	alerts := listAlerts(t, stores[0], store.ListAlertsParams{Subject: "acme"})
	require.ElementsMatch(t, []int64{8000, 9000, 10000}, thresholdsOf(alerts))
	for _, a := range alerts {
		at := a.Threshold * 100 * unit / store.BasisPointsPerUnit
		require.GreaterOrEqual(t, a.Used, at)
		require.Less(t, a.Used-unit, at, "raised by the event that crossed")
	}
}

func ingestRaisesOneRefusalAlertPerPeriod(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	out := ingest(t, st, alerting("acme", "a", 10, 10, false), alerting("acme", "b", 1, 10, false),
		alerting("acme", "c", 1, 10, false))
	require.Equal(t, []store.Status{store.StatusInserted, store.StatusQuotaExceeded, store.StatusQuotaExceeded}, statuses(out))
	ingest(t, st, alerting("acme", "d", 1, 10, false))
	refusals := listAlerts(t, st, store.ListAlertsParams{Subject: "acme", Kind: store.AlertRefusal})
	require.Len(t, refusals, 1)
	require.Equal(t, store.SeverityCritical, refusals[0].Severity)
	require.Equal(t, int64(10*unit), refusals[0].Used)
	require.Len(t, listAlerts(t, st, store.ListAlertsParams{Subject: "acme", Kind: store.AlertThreshold}), 3)
}

func ingestRaisesNoAlertsWithoutLevelsOrLimit(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ingest(t, st, ingestEvent("acme", "a", "api_calls", 200, store.AggregationSum, 100, true))
	unlimited := alerting("acme", "b", 200, -1, true)
	unlimited.Event.Metric = "docs"
	ingest(t, st, unlimited)
	require.Empty(t, listAlerts(t, st, store.ListAlertsParams{}))
}

func aNewPeriodStartsWithoutAlerts(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ingest(t, st, alerting("acme", "a", 85, 100, true))
	next := alerting("acme", "b", 85, 100, true)
	next.Quota.PeriodStart, next.Quota.PeriodEnd = periodEnd, periodEnd.AddDate(0, 1, 0)
	next.Event.Time = periodEnd
	ingest(t, st, next)
	alerts := listAlerts(t, st, store.ListAlertsParams{Subject: "acme"})
	require.Len(t, alerts, 2, "80 % once in each period")
	require.True(t, alerts[0].PeriodStart.Equal(periodEnd))
}

func insertAlertsStoresEachKeyOnce(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	a := store.Alert{Kind: store.AlertForecast, Severity: store.SeverityWarning, Subject: "acme",
		Metric: "api_calls", Used: 5 * unit, Limit: 10 * unit, PeriodStart: periodStart,
		PeriodEnd: periodEnd, Message: "projected to reach 100 %"}
	res, err := st.InsertAlerts(context.Background(), &store.InsertAlertsParams{Alerts: []store.Alert{a}, Now: storeNow})
	require.NoError(t, err)
	require.Len(t, res.Inserted, 1)
	require.NotZero(t, res.Inserted[0].ID)
	require.Equal(t, "projected to reach 100 %", res.Inserted[0].Message)
	require.Equal(t, store.DeliveryPending, res.Inserted[0].Delivery.State)
	res, err = st.InsertAlerts(context.Background(), &store.InsertAlertsParams{Alerts: []store.Alert{a}, Now: storeNow})
	require.NoError(t, err)
	require.Empty(t, res.Inserted, "the same key again")
	a.Ref = 7
	res, err = st.InsertAlerts(context.Background(), &store.InsertAlertsParams{Alerts: []store.Alert{a}, Now: storeNow})
	require.NoError(t, err)
	require.Len(t, res.Inserted, 1, "another ref is another alert")
}

func listAlertsFiltersAndPagesNewestFirst(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ingest(t, st, alerting("acme", "a", 100, 100, true), alerting("globex", "a", 85, 100, true))
	all := listAlerts(t, st, store.ListAlertsParams{})
	require.Len(t, all, 4)
	for i := 1; i < len(all); i++ {
		require.Greater(t, all[i-1].ID, all[i].ID, "newest first")
	}
	page := listAlerts(t, st, store.ListAlertsParams{Limit: 3})
	require.Len(t, page, 3)
	rest := listAlerts(t, st, store.ListAlertsParams{BeforeID: page[2].ID})
	require.Len(t, rest, 1)
	require.Equal(t, all[3].ID, rest[0].ID)
	require.Len(t, listAlerts(t, st, store.ListAlertsParams{Subject: "globex"}), 1)
	require.Len(t, listAlerts(t, st, store.ListAlertsParams{Severity: store.SeverityCritical}), 1)
	require.Empty(t, listAlerts(t, st, store.ListAlertsParams{Metric: "docs"}))
	require.Len(t, listAlerts(t, st, store.ListAlertsParams{From: storeNow, To: storeNow.Add(time.Microsecond)}), 4)
	require.Empty(t, listAlerts(t, st, store.ListAlertsParams{From: storeNow.Add(time.Microsecond)}))
	no, yes := false, true
	_, err := st.AcknowledgeAlert(context.Background(), &store.AcknowledgeAlertParams{ID: all[0].ID, By: "ops", At: storeNow})
	require.NoError(t, err)
	require.Len(t, listAlerts(t, st, store.ListAlertsParams{Acknowledged: &yes}), 1)
	require.Len(t, listAlerts(t, st, store.ListAlertsParams{Acknowledged: &no}), 3)
}

func acknowledgeAlertRecordsTheFirstAcknowledgementOnly(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ctx := context.Background()
	ingest(t, st, alerting("acme", "a", 95, 100, true))
	count := func() int64 {
		res, err := st.CountUnacknowledgedAlerts(ctx, &store.CountUnacknowledgedAlertsParams{Subject: "acme"})
		require.NoError(t, err)
		return res.Count
	}
	require.Equal(t, int64(2), count())
	id := listAlerts(t, st, store.ListAlertsParams{})[0].ID
	_, err := st.AcknowledgeAlert(ctx, &store.AcknowledgeAlertParams{ID: id, Subject: "globex", By: "eve", At: storeNow})
	require.ErrorIs(t, err, store.ErrNotFound, "another subject's alert")
	res, err := st.AcknowledgeAlert(ctx, &store.AcknowledgeAlertParams{ID: id, Subject: "acme", By: "ops", At: storeNow})
	require.NoError(t, err)
	require.Equal(t, "ops", res.Alert.AcknowledgedBy)
	require.True(t, res.Alert.AcknowledgedAt.Equal(storeNow))
	res, err = st.AcknowledgeAlert(ctx, &store.AcknowledgeAlertParams{ID: id, By: "someone else", At: storeNow.Add(time.Hour)})
	require.NoError(t, err, "acknowledging again is no error")
	require.Equal(t, "ops", res.Alert.AcknowledgedBy)
	require.True(t, res.Alert.AcknowledgedAt.Equal(storeNow))
	require.Equal(t, int64(1), count())
	_, err = st.AcknowledgeAlert(ctx, &store.AcknowledgeAlertParams{ID: id + 1000, By: "ops", At: storeNow})
	require.ErrorIs(t, err, store.ErrNotFound)
}

func insertAnomaliesRaisesOneAlertPerFraudSuspect(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	anomalies := []store.Anomaly{testAnomaly("acme", "api_calls", 0, "ensemble"),
		testAnomaly("acme", "api_calls", 1, "ensemble"), testAnomaly("acme", "api_calls", 2, "ensemble")}
	anomalies[0].FraudSuspect, anomalies[2].FraudSuspect = true, true
	res, err := st.InsertAnomalies(context.Background(), &store.InsertAnomaliesParams{Anomalies: anomalies})
	require.NoError(t, err)
	_, err = st.InsertAnomalies(context.Background(), &store.InsertAnomaliesParams{Anomalies: anomalies})
	require.NoError(t, err, "stored again: no new anomaly, no new alert")
	alerts := listAlerts(t, st, store.ListAlertsParams{Kind: store.AlertFraudSuspect})
	require.Len(t, alerts, 2)
	require.ElementsMatch(t, []int64{res.Inserted[0].ID, res.Inserted[2].ID}, []int64{alerts[0].Ref, alerts[1].Ref})
	for _, a := range alerts {
		require.Equal(t, "acme", a.Subject)
		require.Equal(t, store.SeverityHigh, a.Severity)
		require.Contains(t, a.Message, "looks like abuse")
		require.Equal(t, store.DeliveryPending, a.Delivery.State)
	}
}

func aCorrectionBelowAThresholdLetsItFireAgain(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ctx := context.Background()
	ingest(t, st, alerting("acme", "a", 50, 100, true), alerting("acme", "b", 35, 100, true))
	require.Equal(t, []int64{8000}, thresholdsOf(listAlerts(t, st, store.ListAlertsParams{})))
	_, err := st.CorrectEvent(ctx, &store.CorrectEventParams{Now: storeNow,
		Correction: store.Correction{Subject: "acme", ID: "c1", EventID: "b", Kind: store.CorrectionAmend},
		Check:      func(store.Event) (int64, string, error) { return 20 * unit, "", nil }})
	require.NoError(t, err)
	ingest(t, st, alerting("acme", "c", 5, 100, true))
	require.Equal(t, []int64{8000}, thresholdsOf(listAlerts(t, st, store.ListAlertsParams{})), "75 %: not yet")
	ingest(t, st, alerting("acme", "d", 10, 100, true))
	alerts := listAlerts(t, st, store.ListAlertsParams{})
	require.Equal(t, []int64{8000, 8000}, thresholdsOf(alerts), "crossed again after the correction")
	require.NotZero(t, alerts[1].Arm, "the first was rearmed")
	require.Zero(t, alerts[0].Arm)
}

func aResetLetsThresholdsAndRefusalsFireAgain(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ctx := context.Background()
	ingest(t, st, alerting("acme", "a", 10, 10, false), alerting("acme", "b", 1, 10, false))
	require.Len(t, listAlerts(t, st, store.ListAlertsParams{}), 4)
	q := alerting("acme", "", 0, 10, false).Quota
	_, err := st.AdjustQuota(ctx, &store.AdjustQuotaParams{Subject: "acme", Metric: "api_calls", Quota: q,
		Kind: store.AdjustmentReset, Now: storeNow})
	require.NoError(t, err)
	ingest(t, st, alerting("acme", "c", 9, 10, false), alerting("acme", "d", 1, 10, false))
	require.Len(t, listAlerts(t, st, store.ListAlertsParams{Kind: store.AlertThreshold}), 6,
		"the limit doubled: 80, 90 and 100 %% of it crossed again")
	require.Len(t, listAlerts(t, st, store.ListAlertsParams{Kind: store.AlertRefusal}), 1, "no refusal yet")
	ingest(t, st, alerting("acme", "e", 2, 10, false))
	require.Len(t, listAlerts(t, st, store.ListAlertsParams{Kind: store.AlertRefusal}), 2, "refused again after the reset")
}
