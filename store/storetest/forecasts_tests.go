package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// forecastsTests are the contract of forecast records: InsertForecast and
// ListForecasts.
var forecastsTests = []test{
	{"ListForecastsNewestFirst", listForecastsNewestFirst},
}

func listForecastsNewestFirst(t *testing.T, h Harness) {
	t.Parallel()
	ctx := context.Background()
	st, _ := open(t, h)
	insert := func(subject, metric string, at time.Time, payload string) store.Forecast {
		t.Helper()
		f := store.Forecast{ID: 999, Subject: subject, Metric: metric, Model: "auto(ses)", Step: "day",
			Horizon: 17, GeneratedAt: at, Payload: payload}
		res, err := st.InsertForecast(ctx, &store.InsertForecastParams{Forecast: f})
		require.NoError(t, err)
		require.Positive(t, res.Forecast.ID)
		require.NotEqual(t, int64(999), res.Forecast.ID, "the backend assigns the ID")
		require.True(t, res.Forecast.GeneratedAt.Equal(at))
		return res.Forecast
	}
	at := storeNow.Add(123456 * time.Microsecond)
	older := insert("acme", "api_calls", at.Add(-time.Hour), `{"points":[]}`)
	newest := insert("acme", "api_calls", at, `{"points":[{"value":1.5}],"note":"€ ünïcode"}`)
	oldest := insert("acme", "api_calls", at.Add(-2*time.Hour), `{}`)
	tie := insert("acme", "api_calls", at, `{"tie":true}`)
	docs := insert("acme", "documents", at.Add(-30*time.Minute), `{}`)
	insert("globex", "api_calls", at.Add(time.Hour), `{}`)

	list := func(params store.ListForecastsParams) []store.Forecast {
		t.Helper()
		res, err := st.ListForecasts(ctx, &params)
		require.NoError(t, err)
		return res.Forecasts
	}
	ids := func(fs []store.Forecast) []int64 {
		out := make([]int64, len(fs))
		for i, f := range fs {
			out[i] = f.ID
		}
		return out
	}
	got := list(store.ListForecastsParams{Subject: "acme", Metric: "api_calls"})
	require.Equal(t, []int64{tie.ID, newest.ID, older.ID, oldest.ID}, ids(got),
		"newest first; equal times by ID, the later first")
	require.True(t, got[1].GeneratedAt.Equal(at))
	require.Equal(t, time.UTC, got[1].GeneratedAt.Location())
	got[1].GeneratedAt = newest.GeneratedAt
	require.Equal(t, newest, got[1], "every field round-trips")
	require.Equal(t, 17, got[1].Horizon)

	require.Equal(t, []int64{tie.ID, newest.ID},
		ids(list(store.ListForecastsParams{Subject: "acme", Metric: "api_calls", Limit: 2})))
	require.Equal(t, []int64{tie.ID, newest.ID, docs.ID, older.ID, oldest.ID},
		ids(list(store.ListForecastsParams{Subject: "acme"})), "an empty metric lists every metric")
	require.Len(t, list(store.ListForecastsParams{Subject: "globex"}), 1)
	require.Empty(t, list(store.ListForecastsParams{Subject: "initech"}))
}
