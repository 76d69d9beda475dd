package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpapi"
)

// adminSubjects puts three subjects on the basic plan with 150, 120 and 90 documents.
func (e *env) adminSubjects() {
	e.t.Helper()
	for subject, docs := range map[string]float64{"s1": 150, "s2": 120, "s3": 90} {
		e.put(tokOp, "/v1/admin/assignments/"+subject, map[string]any{"plan": "basic"})
		e.track(subject, usage.Event{Metric: usage.MetricDocuments, Value: docs})
	}
}

type subjectReply struct {
	Subject, Plan, Used, Limit string
	Percent                    float64
	OverageCost                struct{ Amount string } `json:"overage_cost"`
}

func TestAdminTopRanksSubjectsByUsageOrCostAPageAtATime(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		e.adminSubjects()
		var page struct {
			Items      []subjectReply
			NextCursor string `json:"next_cursor"`
		}
		e.get(tokOp, "/v1/admin/top?metric=documents&by=usage&limit=2").decode(t, &page)
		require.Len(t, page.Items, 2)
		require.Equal(t, "s1", page.Items[0].Subject)
		require.Equal(t, "basic", page.Items[0].Plan)
		require.Equal(t, "150", page.Items[0].Used)
		require.Equal(t, "25.00", page.Items[0].OverageCost.Amount)
		require.NotEmpty(t, page.NextCursor)
		cursor := page.NextCursor
		page.NextCursor = ""
		e.get(tokOp, "/v1/admin/top?metric=documents&by=usage&limit=2&cursor="+cursor).decode(t, &page)
		require.Len(t, page.Items, 1)
		require.Equal(t, "s3", page.Items[0].Subject)
		require.Empty(t, page.NextCursor)

		e.get(tokOp, "/v1/admin/top?metric=documents&by=overage_cost").decode(t, &page)
		require.Len(t, page.Items, 2, "s3 costs nothing")

		e.get(tokAcme, "/v1/admin/top?metric=documents").problem(t, 403, httpapi.ProblemForbidden)
		e.get(tokOp, "/v1/admin/top?metric=nope").problem(t, 404, httpapi.ProblemNotFound)
		e.do(request{method: "GET", path: "/v1/admin/top?metric=documents&by=fame", token: tokOp, invalid: true}).problem(t, 400, httpapi.ProblemBadRequest)
		e.get(tokOp, "/v1/admin/top?metric=documents&cursor=forged").problem(t, 422, httpapi.ProblemValidation)
	})
}

func TestAdminQuotasListEverySubjectsQuotaBySubject(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		e.adminSubjects()
		var page struct{ Items []subjectReply }
		e.get(tokOp, "/v1/admin/quotas?metric=documents").decode(t, &page)
		var got []string
		for _, s := range page.Items {
			got = append(got, s.Subject+" "+s.Used)
		}
		require.Equal(t, []string{"s1 150", "s2 120", "s3 90"}, got)
		e.get(tokAcme, "/v1/admin/quotas?metric=documents").problem(t, 403, httpapi.ProblemForbidden)
	})
}

func TestAdminAssignsPlansResetsAndTopsUpQuotas(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		var as struct{ Subject, Plan, Cycle string }
		e.put(tokOp, "/v1/admin/assignments/acme", map[string]any{"plan": "basic", "time_zone": "Europe/Lisbon"}).decode(t, &as)
		require.Equal(t, "basic", as.Plan)
		require.Equal(t, "calendar", as.Cycle)
		e.put(tokOp, "/v1/admin/assignments/acme", map[string]any{"plan": "platinum"}).problem(t, 409, httpapi.ProblemNoPlan)
		e.put(tokOp, "/v1/admin/assignments/acme", map[string]any{"plan": "basic", "time_zone": "Mars/Olympus"}).problem(t, 422, httpapi.ProblemValidation)
		e.put(tokAcme, "/v1/admin/assignments/acme", map[string]any{"plan": "enterprise"}).problem(t, 403, httpapi.ProblemForbidden)

		e.track("acme", usage.Event{Metric: usage.MetricUsers, User: "u1"}, usage.Event{Metric: usage.MetricUsers, User: "u2"},
			usage.Event{Metric: usage.MetricUsers, User: "u3"})
		var q struct{ Used, Limit, Remaining string }
		r := e.post(tokOp, "/v1/admin/subjects/acme/quotas/users/grants", map[string]any{"units": "2", "reason": "trial seats"})
		require.Equal(t, http.StatusCreated, r.status)
		r.decode(t, &q)
		require.Equal(t, "5", q.Limit)
		require.Equal(t, "2", q.Remaining)

		e.post(tokOp, "/v1/admin/subjects/acme/quotas/users/reset", map[string]any{"reason": "goodwill"}).decode(t, &q)
		require.Equal(t, "3", q.Used, "what was used stays said")
		require.Equal(t, "3", q.Remaining)

		e.post(tokOp, "/v1/admin/subjects/acme/quotas/users/grants", map[string]any{"units": "2", "reason": ""}).problem(t, 422, httpapi.ProblemValidation)
		e.do(request{method: "POST", path: "/v1/admin/subjects/acme/quotas/users/grants", token: tokOp, invalid: true,
			body: map[string]any{"units": 2, "reason": "x"}}).problem(t, 400, httpapi.ProblemBadRequest)
		e.post(tokOp, "/v1/admin/subjects/acme/quotas/nope/reset", map[string]any{"reason": "x"}).problem(t, 404, httpapi.ProblemNotFound)
		e.post(tokAcme, "/v1/admin/subjects/acme/quotas/users/grants", map[string]any{"units": "2", "reason": "me"}).problem(t, 403, httpapi.ProblemForbidden)
	})
}

func TestPlansListTheCatalog(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		var page struct {
			Items []struct {
				Key    string
				Limits []struct{ Metric, Included, Price string }
			}
		}
		e.get(tokAcme, "/v1/plans").decode(t, &page)
		var keys []string
		for _, p := range page.Items {
			keys = append(keys, p.Key)
		}
		require.Equal(t, []string{"basic", "enterprise", "professional", "strict"}, keys)
		require.Equal(t, "api_calls", page.Items[0].Limits[0].Metric)
		require.Equal(t, "€0.01 per 10", page.Items[0].Limits[0].Price)
	})
}
