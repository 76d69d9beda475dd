package httpapi_test

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpapi"
)

func TestUsageQueryGroupsAndFiltersByDeclaredDimensions(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		day := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
		e.track("acme",
			usage.Event{Metric: usage.MetricAPICalls, Value: 3, Time: day, Properties: map[string]string{"route": "/search"}},
			usage.Event{Metric: usage.MetricAPICalls, Value: 2, Time: day, Properties: map[string]string{"route": "/upload"}},
			usage.Event{Metric: usage.MetricAPICalls, Value: 5, Time: day.Add(24 * time.Hour), Properties: map[string]string{"route": "/search"}},
		)
		var res struct {
			Values []struct {
				Start, Value string
				Group        map[string]string
			}
		}
		e.get(tokAcme, "/v1/usage/api_calls?from=2026-03-14T00:00:00Z&to=2026-03-16T00:00:00Z&window=day").decode(t, &res)
		require.Len(t, res.Values, 2)
		require.Equal(t, "5", res.Values[0].Value)
		require.Equal(t, "5", res.Values[1].Value)

		e.get(tokAcme, "/v1/usage/api_calls?from=2026-03-14T00:00:00Z&to=2026-03-16T00:00:00Z&group_by=route&filter="+url.QueryEscape("route:/search")).decode(t, &res)
		var got []string
		for _, v := range res.Values {
			got = append(got, v.Start+" "+v.Group["route"]+" "+v.Value)
		}
		require.Equal(t, []string{"2026-03-14T00:00:00Z /search 3", "2026-03-15T00:00:00Z /search 5"}, got)

		e.do(request{method: "GET", path: "/v1/usage/api_calls?from=2026-03-14T00:00:00Z", token: tokAcme, invalid: true}).
			problem(t, 400, httpapi.ProblemBadRequest)
		e.get(tokAcme, "/v1/usage/api_calls?from=2026-03-14T00:00:00Z&to=2026-03-16T00:00:00Z&group_by=region").
			problem(t, 422, httpapi.ProblemValidation)
		e.get(tokAcme, "/v1/usage/api_calls?from=2026-03-14T00:00:00Z&to=2026-03-16T00:00:00Z&tz=Mars/Olympus").
			problem(t, 400, httpapi.ProblemBadRequest)
		e.get(tokAcme, "/v1/usage/nope?from=2026-03-14T00:00:00Z&to=2026-03-16T00:00:00Z").problem(t, 404, httpapi.ProblemNotFound)
	})
}

func TestTrendComparesThePeriodWithTheOneBefore(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		require.NoError(t, e.meter.Assign(t.Context(), usage.Assignment{Subject: "acme", Plan: "basic"}))
		e.track("acme",
			usage.Event{Metric: usage.MetricDocuments, Value: 10, Time: time.Date(2026, 2, 20, 9, 0, 0, 0, time.UTC)},
			usage.Event{Metric: usage.MetricDocuments, Value: 4, Time: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)},
			usage.Event{Metric: usage.MetricDocuments, Value: 11, Time: time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)},
		)
		var tr struct {
			Step, Total      string
			PreviousTotal    string  `json:"previous_total"`
			ChangePercent    float64 `json:"change_percent"`
			HasChange        bool    `json:"has_change"`
			PeakHour         int     `json:"peak_hour"`
			Period, Previous struct{ Start string }
			Series           []struct{ Start, Value string }
			Peak             struct{ Start, Value string }
		}
		e.get(tokAcme, "/v1/trends/documents?step=day").decode(t, &tr)
		require.Equal(t, "day", tr.Step)
		require.Equal(t, "2026-03-01T00:00:00Z", tr.Period.Start)
		require.Equal(t, "2026-02-01T00:00:00Z", tr.Previous.Start)
		require.Equal(t, "15", tr.Total)
		require.Equal(t, "10", tr.PreviousTotal)
		require.True(t, tr.HasChange)
		require.Equal(t, 50.0, tr.ChangePercent)
		require.Len(t, tr.Series, 15, "March 1st to 15th")
		require.Equal(t, "2026-03-10T00:00:00Z", tr.Peak.Start)
		require.Equal(t, "11", tr.Peak.Value)
		require.Equal(t, 15, tr.PeakHour)

		e.do(request{method: "GET", path: "/v1/trends/documents?step=week", token: tokAcme, invalid: true}).problem(t, 400, httpapi.ProblemBadRequest)
		e.get(tokAcme, "/v1/trends/documents?from=2026-03-10T00:00:00Z&to=2026-03-01T00:00:00Z").problem(t, 422, httpapi.ProblemValidation)
	})
}

func TestForecastNeedsAWeekOfHistoryThenProjectsTheQuota(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *env) {
		require.NoError(t, e.meter.Assign(t.Context(), usage.Assignment{Subject: "acme", Plan: "basic"}))
		e.track("acme", usage.Event{Metric: usage.MetricDocuments, Value: 1})
		e.get(tokAcme, "/v1/forecasts/documents").problem(t, 422, httpapi.ProblemInsufficientHistory)

		var events []usage.Event
		for d := range 30 {
			at := time.Date(2026, 2, 14, 10, 0, 0, 0, time.UTC).AddDate(0, 0, d)
			events = append(events, usage.Event{ID: fmt.Sprint("d", d), Metric: usage.MetricDocuments, Value: 5, Time: at})
		}
		e.track("acme2", events...)
		require.NoError(t, e.meter.Assign(t.Context(), usage.Assignment{Subject: "acme2", Plan: "basic"}))
		var f struct {
			Metric, Model, Step string
			Points              []struct {
				Start                   string
				Value, Lower95, Upper95 float64
			}
			Quota *struct {
				Limit             string
				ExceedProbability float64                           `json:"exceed_probability"`
				ExpectedCost      struct{ Amount, Currency string } `json:"expected_cost"`
			}
		}
		e.get(tokAcme2, "/v1/forecasts/documents").decode(t, &f)
		require.Equal(t, "day", f.Step)
		require.NotEmpty(t, f.Model)
		require.Equal(t, "2026-03-15T00:00:00Z", f.Points[0].Start)
		require.InDelta(t, 5, f.Points[1].Value, 1, "five a day")
		require.NotNil(t, f.Quota)
		require.Equal(t, "100", f.Quota.Limit)
		require.Equal(t, "EUR", f.Quota.ExpectedCost.Currency)

		e.get(tokAcme2, "/v1/forecasts/users").problem(t, 422, httpapi.ProblemValidation)
	})
}
