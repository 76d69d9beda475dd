package usage_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/forecast"
	"github.com/usagekit/usage/internal/testdb"
)

func TestForecastRefusesBadInput(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		ctx := context.Background()
		b := newForecastMeter(t, db)
		trackDaily(t, b, "heavy", "America/New_York", heavyRate)
		for _, opts := range []usage.ForecastOptions{
			{Horizon: -1},
			{Horizon: usage.MaxForecastHorizon + 1},
			{History: 3 * 24 * time.Hour},
			{History: usage.MaxForecastHistory + time.Hour},
			{Thresholds: []float64{80, math.NaN()}},
			{Thresholds: []float64{-10}},
		} {
			_, err := b.meter.Forecast(ctx, "heavy", usage.MetricDocuments, opts)
			require.ErrorIs(t, err, usage.ErrInvalidEvent, "%+v", opts)
		}
		_, err := b.meter.Forecast(ctx, "", usage.MetricDocuments, usage.ForecastOptions{})
		require.ErrorIs(t, err, usage.ErrInvalidEvent)
		_, err = b.meter.Forecast(ctx, "heavy", usage.MetricDocuments, usage.ForecastOptions{Model: badModel{short: true}})
		require.ErrorContains(t, err, "steps")
		_, err = b.meter.Forecast(ctx, "heavy", usage.MetricDocuments, usage.ForecastOptions{Model: badModel{}})
		require.ErrorContains(t, err, "NaN")
		_, err = b.meter.Forecasts(ctx, "heavy", usage.MetricDocuments, -1)
		require.ErrorIs(t, err, usage.ErrInvalidEvent)
		_, err = b.meter.Forecasts(ctx, "heavy", "nope", 0)
		require.ErrorIs(t, err, usage.ErrInvalidEvent)
		_, err = b.meter.Forecasts(ctx, "", "", 0)
		require.ErrorIs(t, err, usage.ErrInvalidEvent)
		none, err := b.meter.Forecasts(ctx, "heavy", "", 0)
		require.NoError(t, err)
		require.Empty(t, none, "refusals store nothing")
	})
}

func TestForecastRefusesTooLittleHistory(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		ctx := context.Background()
		b := newForecastMeter(t, db)
		require.NoError(t, b.meter.Assign(ctx, usage.Assignment{Subject: "fresh", Plan: "professional"}))
		var events []usage.Event
		for d := range 5 {
			events = append(events, usage.Event{ID: fmt.Sprint("f-", d), Subject: "fresh",
				Metric: usage.MetricDocuments, Value: 3, Time: forecastNow.AddDate(0, 0, d-4)})
		}
		track(t, b.meter, events...)
		_, err := b.meter.Forecast(ctx, "fresh", usage.MetricDocuments, usage.ForecastOptions{})
		require.ErrorIs(t, err, usage.ErrInsufficientHistory)
		var he *usage.InsufficientHistoryError
		require.ErrorAs(t, err, &he)
		require.Equal(t, 4, he.Have, "four whole days before today")
		require.Equal(t, 7, he.Need)
		require.Contains(t, err.Error(), "4 days")

		_, err = b.meter.Forecast(ctx, "fresh", usage.MetricDocuments, usage.ForecastOptions{Step: usage.ForecastHourly})
		require.ErrorAs(t, err, &he)
		require.Equal(t, 168, he.Need)

		_, err = b.meter.Forecast(ctx, "fresh", usage.MetricAPICalls, usage.ForecastOptions{})
		require.ErrorAs(t, err, &he)
		require.Zero(t, he.Have, "no usage at all")

		_, err = b.meter.Forecast(ctx, "fresh", usage.MetricUsers, usage.ForecastOptions{})
		require.ErrorIs(t, err, usage.ErrInvalidEvent, "distinct counts cannot be forecast")
		_, err = b.meter.Forecast(ctx, "fresh", "nope", usage.ForecastOptions{})
		require.ErrorIs(t, err, usage.ErrInvalidEvent)
		_, err = b.meter.Forecast(ctx, "fresh", usage.MetricDocuments, usage.ForecastOptions{Step: "week"})
		require.ErrorIs(t, err, usage.ErrInvalidEvent)
		none, err := b.meter.Forecasts(ctx, "fresh", "", 0)
		require.NoError(t, err)
		require.Empty(t, none, "refusals store nothing")
	})
}

// badModel returns a forecast one step short, or with NaN in it.
type badModel struct{ short bool }

func (badModel) Name() string { return "bad" }

func (m badModel) Forecast(y []float64, h int) (forecast.Forecast, error) {
	f, err := forecast.Naive{}.Forecast(y, h)
	if m.short {
		f.Point = f.Point[:h-1]
	} else {
		f.Lower95[h-1] = math.NaN()
	}
	return f, err
}
