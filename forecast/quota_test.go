package forecast

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// flatForecast is h steps of usage point per step with a 95 % half-width.
func flatForecast(h int, point, halfWidth95 float64) Forecast {
	f := Forecast{Model: "test"}
	for range h {
		f.Point = append(f.Point, point)
		f.Lower80 = append(f.Lower80, point-halfWidth95/1.53)
		f.Upper80 = append(f.Upper80, point+halfWidth95/1.53)
		f.Lower95 = append(f.Lower95, point-halfWidth95)
		f.Upper95 = append(f.Upper95, point+halfWidth95)
	}
	return f
}

func days(start time.Time, n int) []time.Time {
	out := make([]time.Time, n)
	for i := range out {
		out[i] = start.AddDate(0, 0, i+1)
	}
	return out
}

func TestProjectCrossingTimes(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	p, err := Project(QuotaInput{
		Forecast: flatForecast(10, 10, 0),
		StepEnds: days(start, 10),
		Used:     50,
		Limit:    100,
	})
	require.NoError(t, err)
	// 50 used + 10 a day: 80 after 3 days, 90 after 4, 100 after 5.
	require.Equal(t, start.AddDate(0, 0, 3), p.Crossings[0].At)
	require.Equal(t, start.AddDate(0, 0, 4), p.Crossings[1].At)
	require.Equal(t, start.AddDate(0, 0, 5), p.Crossings[2].At)
	require.InDelta(t, 150, p.ExpectedTotal, 1e-9)
	require.Equal(t, 1.0, p.ExceedProbability, "no uncertainty and 50 over")
	require.InDelta(t, 50, p.ExpectedOverage, 1e-9)
}

func TestProjectAlreadyAndNever(t *testing.T) {
	t.Parallel()
	p, err := Project(QuotaInput{
		Forecast: flatForecast(5, 0, 0),
		StepEnds: days(time.Unix(0, 0), 5),
		Used:     85,
		Limit:    100,
	})
	require.NoError(t, err)
	require.True(t, p.Crossings[0].Already)
	require.True(t, p.Crossings[0].Reached)
	require.True(t, p.Crossings[0].At.IsZero())
	require.False(t, p.Crossings[1].Reached)
	require.False(t, p.Crossings[2].Reached)
	require.Zero(t, p.ExceedProbability)
	require.Zero(t, p.ExpectedOverage)
}

func TestProjectProbabilityFromIntervals(t *testing.T) {
	t.Parallel()
	// Four steps of 25 ± 1.96·sd: total mean 100 = limit, so probability ½.
	sd := 2.0
	p, err := Project(QuotaInput{
		Forecast: flatForecast(4, 25, 1.959963984540054*sd),
		StepEnds: days(time.Unix(0, 0), 4),
		Limit:    100,
	})
	require.NoError(t, err)
	require.InDelta(t, 0.5, p.ExceedProbability, 1e-9)
	// Summed deviations: 8. E[max(X,0)] for X ~ N(0, 8²) is 8/sqrt(2π).
	require.InDelta(t, 8/math.Sqrt(2*math.Pi), p.ExpectedOverage, 1e-9)

	// One total deviation above the limit: P = Φ(1).
	p, err = Project(QuotaInput{
		Forecast: flatForecast(4, 27, 1.959963984540054*sd),
		StepEnds: days(time.Unix(0, 0), 4),
		Limit:    100,
	})
	require.NoError(t, err)
	require.InDelta(t, 0.8413447, p.ExceedProbability, 1e-6)
}

func TestProjectNegativeForecastsCountAsZero(t *testing.T) {
	t.Parallel()
	p, err := Project(QuotaInput{
		Forecast: flatForecast(3, -5, 0),
		StepEnds: days(time.Unix(0, 0), 3),
		Used:     10,
		Limit:    100,
	})
	require.NoError(t, err)
	require.InDelta(t, 10, p.ExpectedTotal, 1e-9)
}

func TestProjectInvalid(t *testing.T) {
	t.Parallel()
	f := flatForecast(3, 1, 0)
	for name, in := range map[string]QuotaInput{
		"zero limit":     {Forecast: f, Limit: 0},
		"NaN used":       {Forecast: f, Limit: 1, Used: math.NaN()},
		"too many steps": {Forecast: f, Limit: 1, StepEnds: days(time.Unix(0, 0), 4)},
	} {
		_, err := Project(in)
		require.ErrorIs(t, err, ErrQuotaInput, name)
	}
}
