package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/report"
)

// openTestApp opens the service with its demo usage in a temporary folder.
func openTestApp(t *testing.T) *app {
	t.Helper()
	dir := t.TempDir()
	a, err := openApp(t.Context(), filepath.Join(dir, "usage.db"), filepath.Join(dir, "reports"))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, a.close(context.Background())) })
	return a
}

// used is a subject's usage of a metric in its current period.
func used(t *testing.T, m *usage.Meter, subject, metric string) usage.Quantity {
	t.Helper()
	quotas, err := m.Quotas(t.Context(), subject)
	require.NoError(t, err)
	for _, q := range quotas {
		if q.Metric == metric {
			return q.Used
		}
	}
	t.Fatalf("%s has no quota of %s", subject, metric)
	return usage.Quantity{}
}

func TestTheSeedRaisesAlertsFindsTheSpikeAndStoresReports(t *testing.T) {
	t.Parallel()
	a := openTestApp(t)
	ctx := t.Context()

	acme, err := a.meter.Summary(ctx, "acme")
	require.NoError(t, err)
	require.Equal(t, "basic", acme.Plan)
	require.Equal(t, periodDaysIn, int(time.Since(acme.Period.Start).Hours()/24), "the period began %d days ago", periodDaysIn)
	byMetric := map[string]usage.QuotaSummary{}
	for _, q := range acme.Quotas {
		byMetric[q.Metric] = q
	}
	require.InDelta(t, 93, byMetric[usage.MetricAPICalls].Percent, 5, "acme is close to its API call limit")
	require.Greater(t, byMetric[usage.MetricDocuments].Percent, 100.0, "acme is over its documents")
	require.True(t, acme.OverageCost.Amount.IsPositive(), "acme's overage is billed")
	unacked := false
	alerts, err := a.meter.ListAlerts(ctx, usage.AlertFilter{Subject: "acme", Acknowledged: &unacked})
	require.NoError(t, err)
	thresholds := map[string][]float64{}
	for _, al := range alerts.Alerts {
		thresholds[al.Metric] = append(thresholds[al.Metric], al.Threshold)
	}
	require.ElementsMatch(t, []float64{80, 90}, thresholds[usage.MetricAPICalls])
	require.ElementsMatch(t, []float64{80, 90, 100}, thresholds[usage.MetricDocuments])

	anomalies, err := a.meter.Anomalies(ctx, usage.AnomalyFilter{Subject: "globex"})
	require.NoError(t, err)
	now := time.Now().UTC()
	spike := time.Date(now.Year(), now.Month(), now.Day()-2, 15, 0, 0, 0, time.UTC)
	found := false
	for _, an := range anomalies {
		if an.At.Equal(spike) {
			found = true
			require.Greater(t, an.Value, 10*an.Expected, "the spike hour is far above the usual")
		}
	}
	require.True(t, found, "the spike at %s is among the anomalies %+v", spike, anomalies)

	records, err := a.reports.List(ctx)
	require.NoError(t, err)
	perSubject := map[string][]report.Format{}
	for _, r := range records {
		perSubject[r.Subject] = append(perSubject[r.Subject], r.Format)
	}
	for _, t2 := range demoTenants() {
		require.ElementsMatch(t, []report.Format{report.CSV, report.PDF}, perSubject[t2.subject], t2.subject)
	}
}

func TestTheSeedIsNotRepeatedOnAFileThatHasIt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "usage.db")
	used := func() usage.Quantity {
		a, err := openApp(t.Context(), db, filepath.Join(dir, "reports"))
		require.NoError(t, err)
		defer func() { require.NoError(t, a.close(context.Background())) }()
		return used(t, a.meter, "acme", usage.MetricAPICalls)
	}
	first := used()
	require.False(t, first.IsZero())
	require.Equal(t, first, used())
}

func TestEachKeyIsItsPrincipalAndNoKeyIsRefused(t *testing.T) {
	t.Parallel()
	a := openTestApp(t)
	srv := httptest.NewServer(a.handler)
	defer srv.Close()
	send := func(method, path, key string) (int, string) {
		req, err := http.NewRequest(method, srv.URL+path, nil)
		require.NoError(t, err)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		res, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		var b strings.Builder
		_, err = io.Copy(&b, res.Body)
		require.NoError(t, err)
		return res.StatusCode, b.String()
	}
	for _, tn := range demoTenants() {
		code, body := send("GET", "/usage/v1/whoami", a.keys.key(tn.subject))
		require.Equal(t, http.StatusOK, code)
		require.JSONEq(t, `{"subject":"`+tn.subject+`","operator":false,"name":"`+tn.subject+`"}`, body)
	}
	top := "/usage/v1/admin/top?metric=api_calls&by=usage"
	code, body := send("GET", top, a.keys.key(operatorName))
	require.Equal(t, http.StatusOK, code, body)
	code, _ = send("GET", top, a.keys.key("acme"))
	require.Equal(t, http.StatusForbidden, code, "a tenant's key is no operator's")
	for _, key := range []string{"", "sk_acme_wrong", a.keys.key("acme") + "x"} {
		code, _ := send("GET", "/usage/v1/summary", key)
		require.Equal(t, http.StatusUnauthorized, code, key)
		code, _ = send("GET", "/api/search", key)
		require.Equal(t, http.StatusUnauthorized, code, key)
	}
	code, _ = send("GET", "/api/search", a.keys.key(operatorName))
	require.Equal(t, http.StatusUnauthorized, code, "the operator is no tenant of the product")

	before := used(t, a.meter, "initech", usage.MetricDocuments)
	code, _ = send("POST", "/api/documents", a.keys.key("initech"))
	require.Equal(t, http.StatusCreated, code)
	require.NoError(t, a.mw.Close(t.Context())) // stores the upload's event, recorded after the response
	after := used(t, a.meter, "initech", usage.MetricDocuments)
	require.Equal(t, before.Float64()+1, after.Float64(), "the upload is metered")

	code, _ = send("GET", "/usage/dashboard/", "")
	require.Equal(t, http.StatusOK, code)
	res, err := srv.Client().Get(srv.URL + "/")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, "/usage/dashboard/", res.Request.URL.Path, "the root leads to the dashboard")
}
