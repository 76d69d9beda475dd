package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpapi"
)

func TestInvoiceOfTheCurrentPeriodAndOfThePeriodHoldingAt(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		require.NoError(t, e.meter.Assign(t.Context(), usage.Assignment{Subject: "acme", Plan: "basic"}))
		e.track("acme",
			usage.Event{Metric: usage.MetricDocuments, Value: 104, Time: time.Date(2026, 2, 20, 9, 0, 0, 0, time.UTC)},
			usage.Event{Metric: usage.MetricDocuments, Value: 110},
		)
		type invoice struct {
			ID     string
			Period struct{ Start string }
			Total  struct{ Amount, Currency string }
			Lines  []struct {
				Metric, Used, Over string
				Amount             struct{ Amount string }
			}
		}
		var cur, feb invoice
		e.get(tokAcme, "/v1/invoice").decode(t, &cur)
		require.Equal(t, "2026-03-01T00:00:00Z", cur.Period.Start)
		require.Equal(t, "5.00", cur.Total.Amount, "10 documents over at €0.50")
		e.get(tokAcme, "/v1/invoice?at=2026-02-10T00:00:00Z").decode(t, &feb)
		require.Equal(t, "2026-02-01T00:00:00Z", feb.Period.Start)
		require.Equal(t, "2.00", feb.Total.Amount)

		e.do(request{method: "GET", path: "/v1/invoice?at=last-week", token: tokAcme, invalid: true}).problem(t, 400, httpapi.ProblemBadRequest)
	})
}

func TestCorrectionsVoidAnEventOnceAndListIt(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		e.track("acme", usage.Event{ID: "ev-1", Metric: "credits", Value: 6})
		body := map[string]any{"event_id": "ev-1", "kind": "void", "reason": "billed twice"}
		r := e.do(request{method: "POST", path: "/v1/corrections", token: tokAcme, body: body, header: map[string]string{"Idempotency-Key": "c-1"}})
		require.Equal(t, http.StatusCreated, r.status, "body: %s", r.body)
		var res struct {
			ID, Previous, Actor string
			UsedAfter           string `json:"used_after"`
		}
		r.decode(t, &res)
		require.Equal(t, "c-1", res.ID)
		require.Equal(t, "6", res.Previous)
		require.Equal(t, "0", res.UsedAfter)
		require.Equal(t, "acme", res.Actor)

		replay := e.do(request{method: "POST", path: "/v1/corrections", token: tokAcme, body: body, header: map[string]string{"Idempotency-Key": "c-1"}})
		require.Equal(t, http.StatusOK, replay.status)
		e.post(tokAcme, "/v1/corrections", body).problem(t, http.StatusConflict, httpapi.ProblemConflict)
		e.post(tokAcme, "/v1/corrections", map[string]any{"event_id": "nope", "kind": "void", "reason": "x"}).
			problem(t, http.StatusNotFound, httpapi.ProblemNotFound)
		e.do(request{method: "POST", path: "/v1/corrections", token: tokAcme, invalid: true,
			body: map[string]any{"event_id": "ev-1", "kind": "amend", "value": "2"}}).problem(t, 422, httpapi.ProblemValidation)

		var page struct {
			Items []struct{ ID, EventID, Kind string }
		}
		e.get(tokAcme, "/v1/corrections").decode(t, &page)
		require.Len(t, page.Items, 1)
		require.Equal(t, "void", page.Items[0].Kind)
	})
}
