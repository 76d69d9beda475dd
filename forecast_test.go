package usage

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/forecast"
)

func TestForecastOptionsAreValidated(t *testing.T) {
	t.Parallel()
	o, err := ForecastOptions{}.withDefaults()
	require.NoError(t, err)
	require.Equal(t, ForecastDaily, o.Step)
	require.Equal(t, DefaultForecastHistory, o.History)
	require.Equal(t, DefaultForecastThresholds, o.Thresholds)
	require.Equal(t, forecast.Auto{Seasons: []int{7}}, o.Model)
	o, err = ForecastOptions{Step: ForecastHourly}.withDefaults()
	require.NoError(t, err)
	require.Equal(t, forecast.Auto{Seasons: []int{24, 168}}, o.Model)

	for _, c := range []struct {
		opts  ForecastOptions
		field string
	}{
		{ForecastOptions{Step: "week"}, "step"},
		{ForecastOptions{Horizon: -1}, "horizon"},
		{ForecastOptions{Horizon: MaxForecastHorizon + 1}, "horizon"},
		{ForecastOptions{History: MinForecastHistory - time.Hour}, "history"},
		{ForecastOptions{History: -time.Hour}, "history"},
		{ForecastOptions{History: MaxForecastHistory + time.Hour}, "history"},
		{ForecastOptions{Thresholds: []float64{80, math.NaN()}}, "thresholds"},
		{ForecastOptions{Thresholds: []float64{0}}, "thresholds"},
		{ForecastOptions{Thresholds: []float64{math.Inf(1)}}, "thresholds"},
	} {
		_, err := c.opts.withDefaults()
		require.ErrorIs(t, err, ErrInvalidEvent, "%+v", c.opts)
		var ve *ValidationError
		require.ErrorAs(t, err, &ve)
		require.Equal(t, c.field, ve.Field)
	}
}

func TestCheckForecastRefusesWhatCannotBeStored(t *testing.T) {
	t.Parallel()
	f, err := forecast.Naive{}.Forecast([]float64{1, 2, 3}, 4)
	require.NoError(t, err)
	require.NoError(t, checkForecast(f, 4))
	require.ErrorContains(t, checkForecast(f, 5), "returned 4 steps, 5 were asked for")
	f.Upper95[2] = math.NaN()
	require.ErrorContains(t, checkForecast(f, 4), "NaN at step 2")
	require.NoError(t, checkForecast(f, 2), "only the steps asked for count")
}
