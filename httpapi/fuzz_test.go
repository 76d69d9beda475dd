package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
)

// writeEndpoints are the routes that change something, as the fuzz test calls
// them: the token, the method and the path before the fuzzed query.
var writeEndpoints = []struct{ token, method, path string }{
	{tokAcme, "POST", "/v1/events"},
	{tokAcme, "POST", "/v1/events/batch"},
	{tokAcme, "POST", "/v1/corrections"},
	{tokAcme, "POST", "/v1/anomalies/1/status"},
	{tokAcme, "POST", "/v1/anomalies/detect"},
	{tokAcme, "POST", "/v1/alerts/1/acknowledge"},
	{tokAcme, "PUT", "/v1/thresholds/credits"},
	{tokAcme, "POST", "/v1/reports"},
	{tokOp, "PUT", "/v1/admin/assignments/acme"},
	{tokOp, "POST", "/v1/admin/subjects/acme/quotas/credits/reset"},
	{tokOp, "POST", "/v1/admin/subjects/acme/quotas/credits/grants"},
}

// FuzzWriteEndpoints sends fuzzed JSON bodies and query strings to every write
// endpoint: the answer is a 2xx, or a 4xx problem that changed nothing; never a
// 5xx or a panic. Every response is checked against the OpenAPI document.
func FuzzWriteEndpoints(f *testing.F) {
	seeds := []struct {
		endpoint    uint8
		query, body string
	}{
		{0, "", `{"metric":"credits","value":"1.5","properties":{"route":"/x"}}`},
		{0, "subject=acme2", `{"metric":"credits","value":"1e309"}`},
		{0, "", `{"metric":"credits","value":"NaN","time":"2026-03-15T11:00:00Z"}`},
		{1, "", `{"events":[{"metric":"credits","value":"9"},{"metric":"credits","value":"-1"}]}`},
		{2, "", `{"event_id":"seed","kind":"amend","value":"3","reason":"typo"}`},
		{3, "", `{"status":"dismissed","note":"\u0000"}`},
		{4, "metric=api_calls", ``},
		{5, "", ``},
		{6, "", `{"thresholds":[{"percent":1e400}]}`},
		{7, "", `{"type":"summary","format":"csv","from":"2026-03-01T00:00:00Z","to":"2026-03-02T00:00:00Z"}`},
		{8, "", `{"plan":"basic","cycle":"anniversary","time_zone":"Asia/Kolkata"}`},
		{9, "", `{"reason":"` + strings.Repeat("é", 600) + `"}`},
		{10, "", `{"units":"99999999999999999999","reason":"x"}`},
	}
	for _, s := range seeds {
		f.Add(s.endpoint, s.query, []byte(s.body))
	}
	m, _, h := newAPI(f, testdb.SQLite())
	doc := documentValidator(f)
	seed, err := m.Track(f.Context(), usage.Event{ID: "seed", Subject: "acme", Metric: "credits", Value: 2})
	require.NoError(f, err)
	require.False(f, seed.Replayed)

	f.Fuzz(func(t *testing.T, endpoint uint8, query string, body []byte) {
		ep := writeEndpoints[int(endpoint)%len(writeEndpoints)]
		target := prefix + ep.path
		if query != "" {
			target += "?" + query
		}
		req, err := http.NewRequest(ep.method, "http://api.test/", bytes.NewReader(body))
		require.NoError(t, err)
		if req.URL, err = req.URL.Parse(target); err != nil || req.URL.Path != prefix+ep.path || req.URL.Fragment != "" {
			t.Skip("not a query string")
		}
		req.Header.Set("Authorization", "Bearer "+ep.token)
		req.Header.Set("Content-Type", "application/json")
		before := snapshot(t, m)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		resp := rec.Result()
		got, _ := io.ReadAll(resp.Body)

		require.Less(t, resp.StatusCode, 500, "%s %s → %d: %s", ep.method, target, resp.StatusCode, got)
		require.GreaterOrEqual(t, resp.StatusCode, 200)
		if resp.StatusCode >= 300 {
			require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
			var p struct{ Type string }
			require.NoError(t, json.Unmarshal(got, &p), "%s", got)
			require.NotEmpty(t, p.Type)
			require.Equal(t, before, snapshot(t, m), "%s %s → %d stored something: %s", ep.method, target, resp.StatusCode, got)
		}
		resp.Body = io.NopCloser(bytes.NewReader(got))
		vr := req.Clone(t.Context())
		vr.URL.Path = ep.path
		ok, verrs := doc.ValidateHttpResponse(vr, resp)
		require.True(t, ok, "%s %s → %d: response breaks the document: %s\nbody: %s", ep.method, target, resp.StatusCode, violations(verrs), got)
	})
}

// snapshot is what the write endpoints can change, as one comparable string.
func snapshot(t *testing.T, m *usage.Meter) string {
	t.Helper()
	ctx := t.Context()
	var b strings.Builder
	for _, s := range []string{"acme", "acme2"} {
		events, err := m.Events(ctx, usage.EventQuery{Subject: s, Limit: usage.MaxPageSize})
		require.NoError(t, err)
		fmt.Fprintf(&b, "events %s: %d;", s, len(events.Events))
		corr, err := m.Corrections(ctx, s, 0, usage.MaxPageSize)
		require.NoError(t, err)
		fmt.Fprintf(&b, "corrections %d;", len(corr.Corrections))
		quotas, err := m.Quotas(ctx, s)
		require.NoError(t, err)
		for _, q := range quotas {
			fmt.Fprintf(&b, "%s %s/%s;", q.Metric, q.Used, q.Limit)
		}
		th, err := m.Thresholds(ctx, s)
		require.NoError(t, err)
		fmt.Fprintf(&b, "thresholds %v;", th)
		as, err := m.AssignmentOf(ctx, s)
		require.NoError(t, err)
		fmt.Fprintf(&b, "plan %s %s %s;", as.Plan, as.Cycle, as.TimeZone)
		alerts, err := m.ListAlerts(ctx, usage.AlertFilter{Subject: s, Limit: usage.MaxPageSize})
		require.NoError(t, err)
		for _, a := range alerts.Alerts {
			fmt.Fprintf(&b, "alert %d %v;", a.ID, a.AcknowledgedAt.IsZero())
		}
		an, err := m.Anomalies(ctx, usage.AnomalyFilter{Subject: s})
		require.NoError(t, err)
		for _, a := range an {
			fmt.Fprintf(&b, "anomaly %d %s %q;", a.ID, a.Status, a.Note)
		}
	}
	return b.String()
}
