package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpapi"
)

type reportReply struct {
	ID, Type, Format, Subject string
	Size                      int64
}

func TestReportsAreSavedListedAndDownloadedAsAttachments(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		e.track("acme", usage.Event{Metric: "credits", Value: 3})
		r := e.post(tokAcme, "/v1/reports", map[string]any{"type": "summary", "format": "csv"})
		require.Equal(t, http.StatusCreated, r.status, "body: %s", r.body)
		var rec reportReply
		r.decode(t, &rec)
		require.Equal(t, "acme", rec.Subject)
		require.Positive(t, rec.Size)

		var page struct{ Items []reportReply }
		e.get(tokAcme, "/v1/reports").decode(t, &page)
		require.Len(t, page.Items, 1)
		require.Equal(t, rec.ID, page.Items[0].ID)

		dl := e.get(tokAcme, "/v1/reports/"+rec.ID)
		require.Equal(t, http.StatusOK, dl.status)
		require.Equal(t, `attachment; filename=`+rec.ID+`.csv`, dl.header.Get("Content-Disposition"))
		require.True(t, strings.HasPrefix(dl.header.Get("Content-Type"), "text/csv"))
		require.EqualValues(t, rec.Size, len(dl.body))
		require.Contains(t, string(dl.body), "credits")

		e.get(tokAcme, "/v1/reports/nope").problem(t, 404, httpapi.ProblemNotFound)
		e.do(request{method: "POST", path: "/v1/reports", token: tokAcme, body: map[string]any{"type": "summary", "format": "doc"}, invalid: true}).
			problem(t, 400, httpapi.ProblemBadRequest)
		e.post(tokAcme, "/v1/reports", map[string]any{"type": "summary", "format": "csv",
			"from": "2026-03-10T00:00:00Z", "to": "2026-03-01T00:00:00Z"}).problem(t, 422, httpapi.ProblemValidation)
	})
}

func TestReportRoutesAnswer404WithoutAReportStore(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		h, err := httpapi.New(e.meter, httpapi.Options{Authenticate: authenticate})
		require.NoError(t, err)
		mux := http.NewServeMux()
		mux.Handle(prefix+"/", http.StripPrefix(prefix, h))
		e.srv.Config.Handler = mux
		e.get(tokAcme, "/v1/reports").problem(t, 404, httpapi.ProblemNotFound)
		e.post(tokAcme, "/v1/reports", map[string]any{"type": "summary", "format": "csv"}).problem(t, 404, httpapi.ProblemNotFound)
		e.get(tokAcme, "/v1/reports/x").problem(t, 404, httpapi.ProblemNotFound)
	})
}

func TestAnExpiredReportIsGoneForItsOwnerAndNotFoundForOthers(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		var rec reportReply
		e.post(tokAcme, "/v1/reports", map[string]any{"type": "summary", "format": "json"}).decode(t, &rec)
		e.clock.Set(start.Add(usage.DefaultReportTTL + time.Hour))
		e.get(tokAcme, "/v1/reports/"+rec.ID).problem(t, http.StatusGone, httpapi.ProblemGone)
		e.get(tokAcme2, "/v1/reports/"+rec.ID).problem(t, http.StatusNotFound, httpapi.ProblemNotFound)
	})
}
