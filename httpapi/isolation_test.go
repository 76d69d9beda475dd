package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpapi"
)

// tenants are subjects whose names are prefixes of each other or differ only by
// case, with their tokens.
var tenants = map[string]string{"acme": tokAcme, "acme2": tokAcme2, "Acme": tokAcmeC}

// tenantData is what one tenant owns, by the IDs another tenant might try.
type tenantData struct {
	alert, anomaly int64
	report         string
}

// ownThreshold is each tenant's own alert threshold of credits, in percent.
var ownThreshold = map[string]float64{"acme": 55, "acme2": 56, "Acme": 57}

// secret is the ID of a tenant's event: no other tenant may ever read it.
func secret(subject string) string { return "secret-" + subject }

// seedTenant gives subject an event, two alerts, an anomaly, its own threshold and
// a report.
func (e *env) seedTenant(subject string) tenantData {
	e.t.Helper()
	e.track(subject, usage.Event{ID: secret(subject), Metric: "credits", Value: 9, Properties: map[string]string{"owner": subject}})
	e.burst(subject)
	found, err := e.meter.DetectAnomalies(e.t.Context(), subject, usage.MetricAPICalls, usage.DetectOptions{})
	require.NoError(e.t, err)
	require.Len(e.t, found, 1)
	alerts, err := e.meter.ListAlerts(e.t.Context(), usage.AlertFilter{Subject: subject})
	require.NoError(e.t, err)
	require.NotEmpty(e.t, alerts.Alerts)
	require.NoError(e.t, e.meter.SetThresholds(e.t.Context(), subject, "credits", []usage.Threshold{{Percent: ownThreshold[subject]}}))
	var rec struct{ ID string }
	e.post(tenants[subject], "/v1/reports", map[string]any{"type": "detailed", "format": "json"}).decode(e.t, &rec)
	return tenantData{alert: alerts.Alerts[0].ID, anomaly: found[0].ID, report: rec.ID}
}

// isolationCase is one route called by an attacking tenant with a victim's IDs.
type isolationCase struct {
	// op is the operation of the document the case covers.
	op      string
	path    string
	body    any
	status  int
	invalid bool
}

// attacks are the calls of every route an attacker makes against victim's data.
// The attacker's own writes (events, its own thresholds set again, a report) stay
// its own.
func attacks(v tenantData, attacker, victim string, n int) []isolationCase {
	attackID := fmt.Sprintf("attack-%d", n)
	return []isolationCase{
		{op: "GET /v1/whoami", path: "/v1/whoami", status: 200},
		{op: "GET /v1/summary", path: "/v1/summary", status: 200},
		{op: "GET /v1/quotas", path: "/v1/quotas", status: 200},
		{op: "GET /v1/quotas/{metric}/check", path: "/v1/quotas/credits/check", status: 200},
		{op: "POST /v1/events", path: "/v1/events", body: map[string]any{"id": attackID, "metric": usage.MetricDocuments}, status: 201},
		{op: "POST /v1/events/batch", path: "/v1/events/batch", body: map[string]any{"events": []map[string]any{{"id": attackID + "b", "metric": usage.MetricDocuments}}}, status: 200},
		{op: "GET /v1/events", path: "/v1/events", status: 200},
		{op: "GET /v1/usage/{metric}", path: "/v1/usage/credits?from=2026-03-01T00:00:00Z&to=2026-03-16T00:00:00Z", status: 200},
		{op: "GET /v1/trends/{metric}", path: "/v1/trends/credits", status: 200},
		{op: "GET /v1/forecasts/{metric}", path: "/v1/forecasts/credits", status: 422},
		{op: "GET /v1/invoice", path: "/v1/invoice", status: 200},
		{op: "GET /v1/corrections", path: "/v1/corrections", status: 200},
		{op: "POST /v1/corrections", path: "/v1/corrections", body: map[string]any{"event_id": secret(victim), "kind": "void", "reason": "mine now"}, status: 404},
		{op: "GET /v1/anomalies", path: "/v1/anomalies", status: 200},
		{op: "POST /v1/anomalies/detect", path: "/v1/anomalies/detect?metric=credits", status: 200},
		{op: "POST /v1/anomalies/{id}/status", path: fmt.Sprintf("/v1/anomalies/%d/status", v.anomaly), body: map[string]any{"status": "dismissed"}, status: 404},
		{op: "GET /v1/alerts", path: "/v1/alerts", status: 200},
		{op: "POST /v1/alerts/{id}/acknowledge", path: fmt.Sprintf("/v1/alerts/%d/acknowledge", v.alert), status: 404},
		{op: "GET /v1/thresholds", path: "/v1/thresholds", status: 200},
		{op: "PUT /v1/thresholds/{metric}", path: "/v1/thresholds/credits", body: map[string]any{"thresholds": []map[string]any{{"percent": ownThreshold[attacker]}}}, status: 200},
		{op: "GET /v1/reports", path: "/v1/reports", status: 200},
		{op: "POST /v1/reports", path: "/v1/reports", body: map[string]any{"type": "summary", "format": "csv"}, status: 201},
		{op: "GET /v1/reports/{id}", path: "/v1/reports/" + v.report, status: 404},
		{op: "GET /v1/plans", path: "/v1/plans", status: 200},
		{op: "PUT /v1/admin/assignments/{subject}", path: "/v1/admin/assignments/" + victim, body: map[string]any{"plan": "basic"}, status: 403},
		{op: "GET /v1/admin/quotas", path: "/v1/admin/quotas?metric=credits", status: 403},
		{op: "GET /v1/admin/top", path: "/v1/admin/top?metric=credits", status: 403},
		{op: "POST /v1/admin/subjects/{subject}/quotas/{metric}/reset", path: "/v1/admin/subjects/" + victim + "/quotas/credits/reset", body: map[string]any{"reason": "x"}, status: 403},
		{op: "POST /v1/admin/subjects/{subject}/quotas/{metric}/grants", path: "/v1/admin/subjects/" + victim + "/quotas/credits/grants", body: map[string]any{"units": "100", "reason": "x"}, status: 403},
	}
}

func TestATenantNeverReadsChangesOrDownloadsAnotherTenantsData(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		data := map[string]tenantData{}
		for s := range tenants {
			data[s] = e.seedTenant(s)
		}
		n := 0
		for attacker, tok := range tenants {
			for victim, v := range data {
				if victim == attacker {
					continue
				}
				cases := attacks(v, attacker, victim, n)
				n++
				var covered []string
				for _, c := range cases {
					covered = append(covered, c.op)
					method, _, _ := strings.Cut(c.op, " ")
					r := e.do(request{method: method, path: c.path, token: tok, body: c.body, invalid: c.invalid})
					require.Equal(t, c.status, r.status, "%s as %s against %s: %s", c.op, attacker, victim, r.body)
					require.NotContains(t, string(r.body), `"id":"`+secret(victim)+`"`, "%s as %s shows %s's event", c.op, attacker, victim)
					require.NotContains(t, string(r.body), `"owner":"`+victim+`"`, "%s as %s shows %s's event", c.op, attacker, victim)
					require.NotContains(t, string(r.body), `"subject":"`+victim+`"`, "%s as %s names %s", c.op, attacker, victim)
					require.NotContains(t, string(r.body), fmt.Sprintf(`"percent":%v`, ownThreshold[victim]), "%s as %s shows %s's own threshold", c.op, attacker, victim)
					if strings.HasPrefix(c.op, "GET /v1/") && !strings.HasPrefix(c.op, "GET /v1/admin") && c.status == 200 {
						// Every tenant route also refuses the victim's name in ?subject=.
						sep := map[bool]string{true: "&", false: "?"}[strings.Contains(c.path, "?")]
						e.do(request{method: method, path: c.path + sep + "subject=" + victim, token: tok}).problem(t, 400, httpapi.ProblemBadRequest)
					}
				}
				require.ElementsMatch(t, documentedOperations(t), covered, "every operation of the document is attacked")
			}
		}
		for s, v := range data {
			e.requireUntouched(s, v)
		}
	})
}

// requireUntouched checks that subject's data is as seedTenant left it.
func (e *env) requireUntouched(subject string, v tenantData) {
	t := e.t
	t.Helper()
	ctx := t.Context()
	events, err := e.meter.Events(ctx, usage.EventQuery{Subject: subject, Limit: usage.MaxPageSize})
	require.NoError(t, err)
	own := 0
	for _, ev := range events.Events {
		if !strings.HasPrefix(ev.ID, "attack-") {
			own++
		}
	}
	require.Equal(t, 101, own, "%s: its event and its burst, nothing more", subject)
	corr, err := e.meter.Corrections(ctx, subject, 0, 0)
	require.NoError(t, err)
	require.Empty(t, corr.Corrections)
	alerts, err := e.meter.ListAlerts(ctx, usage.AlertFilter{Subject: subject})
	require.NoError(t, err)
	for _, a := range alerts.Alerts {
		require.True(t, a.AcknowledgedAt.IsZero(), "%s: alert %d acknowledged", subject, a.ID)
	}
	an, err := e.meter.Anomalies(ctx, usage.AnomalyFilter{Subject: subject})
	require.NoError(t, err)
	require.Len(t, an, 1)
	require.Equal(t, usage.AnomalyOpen, an[0].Status)
	th, err := e.meter.Thresholds(ctx, subject)
	require.NoError(t, err)
	require.Equal(t, []usage.Threshold{{Percent: ownThreshold[subject], Severity: usage.SeverityWarning}}, th["credits"])
	q, err := e.meter.CheckQuota(ctx, subject, "credits", 1)
	require.NoError(t, err)
	require.Equal(t, "10", q.Limit.String(), "%s: no grant", subject)
	dl := e.get(tenants[subject], "/v1/reports/"+v.report)
	require.Equal(t, http.StatusOK, dl.status, "the owner still downloads its report")
}

// documentedOperations lists the document's operations under /v1/ as "METHOD path".
func documentedOperations(t *testing.T) []string {
	t.Helper()
	raw, err := httpapi.OpenAPI()
	require.NoError(t, err)
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	var ops []string
	for path, item := range doc.Paths {
		if !strings.HasPrefix(path, "/v1/") {
			continue
		}
		for method := range item {
			ops = append(ops, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(ops)
	return ops
}
