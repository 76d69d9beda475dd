package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpapi"
)

type alertReply struct {
	ID             int64
	Kind, Severity string
	Threshold      float64 `json:"threshold_percent"`
	AcknowledgedAt string  `json:"acknowledged_at"`
	AcknowledgedBy string  `json:"acknowledged_by"`
}

// alerts lists the caller's alerts with the query given.
func (e *env) alerts(token, query string) []alertReply {
	e.t.Helper()
	var page struct{ Items []alertReply }
	e.get(token, "/v1/alerts"+query).decode(e.t, &page)
	return page.Items
}

func TestAlertsAreListedFilteredAndAcknowledgedOnce(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		e.track("acme", usage.Event{Metric: "credits", Value: 9.5})
		all := e.alerts(tokAcme, "")
		require.Len(t, all, 2, "80 and 90 %%")
		require.Equal(t, 90.0, all[0].Threshold, "newest first")

		r := e.post(tokAcme, fmt.Sprintf("/v1/alerts/%d/acknowledge", all[0].ID), nil)
		require.Equal(t, http.StatusOK, r.status)
		var acked alertReply
		r.decode(t, &acked)
		require.Equal(t, "2026-03-15T12:00:00Z", acked.AcknowledgedAt)
		require.Equal(t, "acme", acked.AcknowledgedBy)

		open := e.alerts(tokAcme, "?acknowledged=false")
		require.Len(t, open, 1)
		require.Equal(t, 80.0, open[0].Threshold)
		require.Len(t, e.alerts(tokAcme, "?severity=high"), 1)
		first := e.alerts(tokAcme, "?limit=1")
		require.Len(t, first, 1)

		e.post(tokAcme, "/v1/alerts/999999/acknowledge", nil).problem(t, 404, httpapi.ProblemNotFound)
		e.do(request{method: "GET", path: "/v1/alerts?acknowledged=maybe", token: tokAcme, invalid: true}).problem(t, 400, httpapi.ProblemBadRequest)
	})
}

// burst tracks 100 API calls within a minute for subject, a few hours before now.
func (e *env) burst(subject string) {
	e.t.Helper()
	at := start.Add(-6 * time.Hour)
	var events []usage.Event
	for i := range 100 {
		events = append(events, usage.Event{ID: fmt.Sprint("burst-", i), Metric: usage.MetricAPICalls, Value: 1,
			Time: at.Add(time.Duration(i)*400*time.Millisecond + time.Duration(i*7919%397)*time.Millisecond)})
	}
	e.track(subject, events...)
}

type anomalyReply struct {
	ID           int64
	Method       string
	Status, Note string
	Reasons      []string
	FraudSuspect bool `json:"fraud_suspect"`
}

func TestAnomaliesAreDetectedListedAndReviewed(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		e.burst("acme")
		var found struct{ Items []anomalyReply }
		e.post(tokAcme, "/v1/anomalies/detect?metric=api_calls", nil).decode(t, &found)
		require.Len(t, found.Items, 1)
		require.Equal(t, "burst", found.Items[0].Method)
		require.Equal(t, "open", found.Items[0].Status)
		e.post(tokAcme, "/v1/anomalies/detect", nil).decode(t, &found)
		require.Empty(t, found.Items, "a second run stores nothing new")

		var page struct{ Items []anomalyReply }
		e.get(tokAcme, "/v1/anomalies?status=open").decode(t, &page)
		require.Len(t, page.Items, 1)
		path := fmt.Sprintf("/v1/anomalies/%d/status", page.Items[0].ID)
		var changed anomalyReply
		e.post(tokAcme, path, map[string]any{"status": "dismissed", "note": "load test"}).decode(t, &changed)
		require.Equal(t, "dismissed", changed.Status)
		require.Equal(t, "load test", changed.Note)

		e.do(request{method: "POST", path: path, token: tokAcme, body: map[string]any{"status": "gone"}, invalid: true}).
			problem(t, 422, httpapi.ProblemValidation)
		e.post(tokAcme, "/v1/anomalies/424242/status", map[string]any{"status": "open"}).problem(t, 404, httpapi.ProblemNotFound)
		e.post(tokAcme, "/v1/anomalies/detect?metric=nope", nil).problem(t, 404, httpapi.ProblemNotFound)
		e.do(request{method: "GET", path: "/v1/anomalies?status=weird", token: tokAcme, invalid: true}).problem(t, 400, httpapi.ProblemBadRequest)
	})
}

func TestThresholdsAreTheSubjectsOwnOrThePlans(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		type metricThresholds struct {
			Metric     string
			Thresholds []struct {
				Percent  float64
				Severity string
			}
		}
		var page struct{ Items []metricThresholds }
		e.get(tokAcme, "/v1/thresholds").decode(t, &page)
		require.Len(t, page.Items, 1, "only credits has a limit on the strict plan")
		require.Len(t, page.Items[0].Thresholds, 3)

		var got metricThresholds
		e.put(tokAcme, "/v1/thresholds/credits", map[string]any{"thresholds": []map[string]any{{"percent": 50}}}).decode(t, &got)
		require.Len(t, got.Thresholds, 1)
		require.Equal(t, 50.0, got.Thresholds[0].Percent)
		e.track("acme", usage.Event{Metric: "credits", Value: 6})
		require.Len(t, e.alerts(tokAcme, ""), 1, "the subject's own threshold alone")

		e.put(tokAcme, "/v1/thresholds/credits", map[string]any{"thresholds": nil}).decode(t, &got)
		require.Len(t, got.Thresholds, 3, "the plan's again")

		e.put(tokAcme, "/v1/thresholds/credits", map[string]any{"thresholds": []map[string]any{{"percent": 50.001}}}).
			problem(t, 422, httpapi.ProblemValidation)
		e.put(tokAcme, "/v1/thresholds/nope", map[string]any{"thresholds": nil}).problem(t, 404, httpapi.ProblemNotFound)
	})
}
