package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpapi"
)

func TestNewRefusesToStartWithoutAuthentication(t *testing.T) {
	_, err := httpapi.New(nil, httpapi.Options{Authenticate: authenticate})
	require.ErrorContains(t, err, "Meter is nil")
	eachEnv(t, func(t *testing.T, e *env) {
		_, err := httpapi.New(e.meter, httpapi.Options{})
		require.ErrorContains(t, err, "Authenticate")
	})
}

func TestWhoamiNamesTheCaller(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		var who map[string]any
		e.get(tokAcme, "/v1/whoami").decode(t, &who)
		require.Equal(t, map[string]any{"subject": "acme", "operator": false, "name": "acme"}, who)

		e.get(tokOp, "/v1/whoami?subject=acme2").decode(t, &who)
		require.Equal(t, map[string]any{"subject": "acme2", "operator": true, "name": "ops@example.com"}, who)
		e.get(tokOp, "/v1/whoami").decode(t, &who)
		require.Equal(t, map[string]any{"subject": "", "operator": true, "name": "ops@example.com"}, who)
		e.get(tokOp, "/v1/summary").problem(t, http.StatusBadRequest, httpapi.ProblemBadRequest)

		e.do(request{method: "GET", path: "/v1/whoami", invalid: true}).problem(t, http.StatusUnauthorized, httpapi.ProblemUnauthenticated)
		e.get("tok-unknown", "/v1/whoami").problem(t, http.StatusUnauthorized, httpapi.ProblemUnauthenticated)
	})
}

func TestSummaryShowsTheSubjectsQuotasAndOverageCost(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		require.NoError(t, e.meter.Assign(t.Context(), usage.Assignment{Subject: "acme", Plan: "basic"}))
		e.track("acme", usage.Event{Metric: usage.MetricDocuments, Value: 125})

		var s struct {
			Subject, Plan string
			Period        struct{ Start, End string }
			Quotas        []struct {
				Metric, Used, Limit, Remaining, Overage string
				Percent                                 float64
				OverageCost                             struct{ Amount, Currency string } `json:"overage_cost"`
			}
			OverageCost          struct{ Amount, Currency string } `json:"overage_cost"`
			UnacknowledgedAlerts int64                             `json:"unacknowledged_alerts"`
		}
		r := e.get(tokAcme, "/v1/summary")
		require.Equal(t, http.StatusOK, r.status)
		r.decode(t, &s)
		require.Equal(t, "acme", s.Subject)
		require.Equal(t, "basic", s.Plan)
		require.Equal(t, "2026-03-01T00:00:00Z", s.Period.Start)
		require.Equal(t, "2026-04-01T00:00:00Z", s.Period.End)
		var docs = s.Quotas[0]
		for _, q := range s.Quotas {
			if q.Metric == usage.MetricDocuments {
				docs = q
			}
		}
		require.Equal(t, "125", docs.Used)
		require.Equal(t, "100", docs.Limit)
		require.Equal(t, "25", docs.Overage)
		require.Equal(t, 125.0, docs.Percent)
		require.Equal(t, "12.50", docs.OverageCost.Amount)
		require.Equal(t, "EUR", docs.OverageCost.Currency)
		require.Equal(t, "12.50", s.OverageCost.Amount)
		require.EqualValues(t, 3, s.UnacknowledgedAlerts, "80, 90 and 100 %% crossed")
	})
}

func TestGetReadsAnswerNotModifiedToTheirETag(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		first := e.get(tokAcme, "/v1/summary")
		tag := first.header.Get("ETag")
		require.NotEmpty(t, tag)
		again := e.do(request{method: "GET", path: "/v1/summary", token: tokAcme, header: map[string]string{"If-None-Match": tag}})
		require.Equal(t, http.StatusNotModified, again.status)
		require.Empty(t, again.body)

		e.track("acme", usage.Event{Metric: "credits", Value: 1})
		changed := e.do(request{method: "GET", path: "/v1/summary", token: tokAcme, header: map[string]string{"If-None-Match": tag}})
		require.Equal(t, http.StatusOK, changed.status)
		require.NotEqual(t, tag, changed.header.Get("ETag"))
	})
}

func TestAClosedMeterAnswers503WithRetryAfter(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		require.NoError(t, e.meter.Close(t.Context()))
		r := e.get(tokAcme, "/v1/summary")
		r.problem(t, http.StatusServiceUnavailable, httpapi.ProblemUnavailable)
		require.Equal(t, "5", r.header.Get("Retry-After"))
		e.post(tokAcme, "/v1/events", map[string]any{"metric": "credits"}).problem(t, http.StatusServiceUnavailable, httpapi.ProblemUnavailable)
	})
}
