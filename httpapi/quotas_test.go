package httpapi_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpapi"
)

func TestQuotasListEveryMetricOfThePlan(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		e.track("acme", usage.Event{Metric: "credits", Value: 4})
		var page struct {
			Items []struct {
				Metric, Used, Limit, Remaining string
				Unlimited                      bool
			}
			NextCursor string `json:"next_cursor"`
		}
		e.get(tokAcme, "/v1/quotas?limit=1").decode(t, &page)
		require.Len(t, page.Items, 1)
		require.Equal(t, "1", page.NextCursor)
		page.NextCursor = ""
		e.get(tokAcme, "/v1/quotas").decode(t, &page)
		require.Len(t, page.Items, 5, "one per metric of the Config")
		require.Empty(t, page.NextCursor)
		var credits = page.Items[1]
		require.Equal(t, "credits", credits.Metric)
		require.Equal(t, "4", credits.Used)
		require.Equal(t, "6", credits.Remaining)
	})
}

func TestCheckQuotaAnswersOverQuotaWithoutRecording(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		e.track("acme", usage.Event{Metric: "credits", Value: 8})
		var c struct {
			Allowed   bool
			Requested string
			Remaining string
		}
		e.get(tokAcme, "/v1/quotas/credits/check?amount=2").decode(t, &c)
		require.True(t, c.Allowed)
		require.Equal(t, "2", c.Requested)
		e.get(tokAcme, "/v1/quotas/credits/check?amount=2.5").decode(t, &c)
		require.False(t, c.Allowed)
		require.Equal(t, "2", c.Remaining)
		require.Equal(t, 1, e.storedEvents("acme"))

		e.get(tokAcme, "/v1/quotas/nope/check").problem(t, 404, httpapi.ProblemNotFound)
		e.get(tokAcme, "/v1/quotas/credits/check?amount=0").problem(t, 422, httpapi.ProblemValidation)
		e.do(request{method: "GET", path: "/v1/quotas/credits/check?amount=abc", token: tokAcme, invalid: true}).
			problem(t, 400, httpapi.ProblemBadRequest)
	})
}
