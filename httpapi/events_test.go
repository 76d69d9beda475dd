package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpapi"
)

type trackReply struct {
	Event struct {
		ID, Subject, Metric, Value, Time string
	}
	Replayed  bool
	UsedAfter string `json:"used_after"`
}

// storedEvents counts subject's stored events.
func (e *env) storedEvents(subject string) int {
	e.t.Helper()
	p, err := e.meter.Events(e.t.Context(), usage.EventQuery{Subject: subject, Limit: usage.MaxPageSize})
	require.NoError(e.t, err)
	return len(p.Events)
}

func TestTrackStoresAnEventOnceByItsIdempotencyKey(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		req := request{method: "POST", path: "/v1/events", token: tokAcme, body: map[string]any{"metric": "credits", "value": "2.5"},
			header: map[string]string{"Idempotency-Key": "req-1"}}
		first := e.do(req)
		require.Equal(t, http.StatusCreated, first.status, "body: %s", first.body)
		var got trackReply
		first.decode(t, &got)
		require.Equal(t, "req-1", got.Event.ID)
		require.Equal(t, "acme", got.Event.Subject)
		require.Equal(t, "2.5", got.Event.Value)
		require.Equal(t, "2026-03-15T12:00:00Z", got.Event.Time)
		require.Equal(t, "2.5", got.UsedAfter)
		require.Equal(t, `"credits";q=10;w=2678400`, first.header.Get("RateLimit-Policy"))
		require.Equal(t, `"credits";r=7;t=1425600`, first.header.Get("RateLimit"))
		require.Equal(t, "7", first.header.Get("X-RateLimit-Remaining"))

		again := e.do(req)
		require.Equal(t, http.StatusOK, again.status)
		again.decode(t, &got)
		require.True(t, got.Replayed)
		require.Equal(t, 1, e.storedEvents("acme"))

		req.body = map[string]any{"metric": "credits", "value": "3"}
		e.do(req).problem(t, http.StatusConflict, httpapi.ProblemConflict)
		require.Equal(t, 1, e.storedEvents("acme"))
	})
}

func TestTrackPastALimitWithoutOverageIs429WithTheRateLimitFields(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		e.track("acme", usage.Event{Metric: "credits", Value: 9})
		r := e.post(tokAcme, "/v1/events", map[string]any{"metric": "credits", "value": "2"})
		r.problem(t, http.StatusTooManyRequests, httpapi.ProblemQuotaExceeded)
		require.Equal(t, "1425600", r.header.Get("Retry-After"), "seconds to April 1st")
		require.Equal(t, `"credits";q=10`, r.header.Get("RateLimit-Policy"))
		require.Equal(t, `"credits";r=0;t=1425600`, r.header.Get("RateLimit"))
		require.Equal(t, 1, e.storedEvents("acme"), "nothing recorded")
	})
}

func TestTrackRefusesMalformedBodiesAndStoresNothing(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		for name, c := range map[string]struct {
			body    string
			invalid bool
			status  int
			typ     string
		}{
			"unknown field":         {body: `{"metric":"credits","colour":"red"}`, invalid: true, status: 400, typ: httpapi.ProblemBadRequest},
			"a subject in the body": {body: `{"metric":"credits","subject":"acme2"}`, invalid: true, status: 400, typ: httpapi.ProblemBadRequest},
			"trailing data":         {body: `{"metric":"credits"} {"metric":"credits"}`, invalid: true, status: 400, typ: httpapi.ProblemBadRequest},
			"not JSON":              {body: `{"metric":`, invalid: true, status: 400, typ: httpapi.ProblemBadRequest},
			"a number for value":    {body: `{"metric":"credits","value":1}`, invalid: true, status: 400, typ: httpapi.ProblemBadRequest},
			"an exponent":           {body: `{"metric":"credits","value":"1e309"}`, invalid: true, status: 400, typ: httpapi.ProblemBadRequest},
			"a bad time":            {body: `{"metric":"credits","time":"yesterday"}`, invalid: true, status: 400, typ: httpapi.ProblemBadRequest},
			"unknown metric":        {body: `{"metric":"nope"}`, status: 422, typ: httpapi.ProblemValidation},
			"zero":                  {body: `{"metric":"credits","value":"0"}`, status: 422, typ: httpapi.ProblemValidation},
			"a NUL in a property":   {body: `{"metric":"credits","properties":{"k":"a\u0000b"}}`, status: 422, typ: httpapi.ProblemValidation},
			"too far in the past":   {body: `{"metric":"credits","time":"2025-01-01T00:00:00Z"}`, status: 422, typ: httpapi.ProblemValidation},
		} {
			t.Run(name, func(t *testing.T) {
				r := e.with(t).do(request{method: "POST", path: "/v1/events", token: tokAcme, body: c.body, invalid: c.invalid})
				r.problem(t, c.status, c.typ)
			})
		}
		r := e.do(request{method: "POST", path: "/v1/events", token: tokAcme, body: `{"metric":"nope"}`})
		p := r.problem(t, 422, httpapi.ProblemValidation)
		require.Contains(t, p["errors"], "metric")
		require.Zero(t, e.storedEvents("acme"))
	})
}

func TestTrackRefusesABodyOverTheLimitWith413(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		big := `{"metric":"credits","user":"` + strings.Repeat("x", 1<<20) + `"}`
		e.post(tokAcme, "/v1/events", big).problem(t, http.StatusRequestEntityTooLarge, httpapi.ProblemBodyTooLarge)
		require.Zero(t, e.storedEvents("acme"))
	})
}

func TestATenantNamingASubjectIsRefusedAndAnOperatorMustNameOne(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		e.post(tokAcme, "/v1/events?subject=acme2", map[string]any{"metric": "credits"}).problem(t, 400, httpapi.ProblemBadRequest)
		e.post(tokOp, "/v1/events", map[string]any{"metric": "credits"}).problem(t, 400, httpapi.ProblemBadRequest)
		require.Zero(t, e.storedEvents("acme2"))

		r := e.post(tokOp, "/v1/events?subject=acme2", map[string]any{"metric": "credits"})
		require.Equal(t, http.StatusCreated, r.status)
		require.Equal(t, 1, e.storedEvents("acme2"))
	})
}

func TestTrackBatchAnswersEachEventAndRefusesInvalidInputWhole(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		r := e.post(tokAcme, "/v1/events/batch", map[string]any{"events": []map[string]any{
			{"id": "a", "metric": "credits", "value": "6"},
			{"id": "b", "metric": "credits", "value": "6"},
			{"id": "c", "metric": usage.MetricDocuments, "value": "1"},
		}})
		require.Equal(t, http.StatusOK, r.status)
		var got struct {
			Items []struct {
				Event *struct{ ID string }
				Error *struct{ Type string }
			}
		}
		r.decode(t, &got)
		require.Len(t, got.Items, 3)
		require.Equal(t, "a", got.Items[0].Event.ID)
		require.Equal(t, httpapi.ProblemQuotaExceeded, got.Items[1].Error.Type)
		require.Equal(t, "c", got.Items[2].Event.ID)
		require.Equal(t, 2, e.storedEvents("acme"))

		p := e.post(tokAcme2, "/v1/events/batch", map[string]any{"events": []map[string]any{
			{"metric": "credits"}, {"metric": "credits", "value": "-1"},
		}}).problem(t, 422, httpapi.ProblemValidation)
		require.Contains(t, p["errors"], "events[1].value")
		e.do(request{method: "POST", path: "/v1/events/batch", token: tokAcme2, body: `{"events":[]}`, invalid: true}).
			problem(t, 400, httpapi.ProblemBadRequest)
		require.Zero(t, e.storedEvents("acme2"))
	})
}

func TestEventsListComesAPageAtATime(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		for i := range 3 {
			e.track("acme", usage.Event{ID: fmt.Sprint("e", i), Metric: usage.MetricDocuments, Value: 1})
		}
		var ids []string
		cursor := ""
		for range 10 {
			var page struct {
				Items      []struct{ ID string }
				NextCursor string `json:"next_cursor"`
			}
			path := "/v1/events?limit=2"
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			e.get(tokAcme, path).decode(t, &page)
			for _, it := range page.Items {
				ids = append(ids, it.ID)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		require.Equal(t, []string{"e0", "e1", "e2"}, ids)
		e.do(request{method: "GET", path: "/v1/events?cursor=abc", token: tokAcme, invalid: true}).problem(t, 400, httpapi.ProblemBadRequest)
		e.do(request{method: "GET", path: "/v1/events?limit=0", token: tokAcme, invalid: true}).problem(t, 400, httpapi.ProblemBadRequest)
	})
}
