package forecast

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLinearExactOnLine(t *testing.T) {
	t.Parallel()
	y := make([]float64, 30)
	for i := range y {
		y[i] = 5 + 2*float64(i)
	}
	f, err := Linear{}.Forecast(y, 10)
	require.NoError(t, err)
	for j, p := range f.Point {
		require.InDelta(t, 5+2*float64(30+j), p, 1e-9)
		require.InDelta(t, p, f.Upper95[j], 1e-9, "a perfect fit has no error")
	}
}

func TestLinearIntervalMatchesRegressionFormula(t *testing.T) {
	t.Parallel()
	y := []float64{1, 3, 2, 5, 4, 6}
	f, err := Linear{}.Forecast(y, 1)
	require.NoError(t, err)
	// By hand: a = 9/7, b = 31/35, SSE = 132/35, se = sqrt(SSE/4),
	// x = 6, x̄ = 2.5, Sxx = 17.5, t(0.975, 4) = 2.776445.
	require.InDelta(t, 6.6, f.Point[0], 1e-9)
	half := 2.776445 * math.Sqrt(132.0/35/4) * math.Sqrt(1+1.0/6+3.5*3.5/17.5)
	require.InDelta(t, half, f.Upper95[0]-f.Point[0], 1e-5)
}

func TestConstantSeriesGivesConstantForecast(t *testing.T) {
	t.Parallel()
	y := make([]float64, 200)
	for i := range y {
		y[i] = 42
	}
	for _, m := range allModels(24) {
		f, err := m.Forecast(y, 30)
		require.NoError(t, err, m.Name())
		requireFinite(t, f, 30)
		for _, p := range f.Point {
			require.InDelta(t, 42, p, 1e-6, m.Name())
		}
	}
}

func TestSeasonalSeriesIsForecastExactly(t *testing.T) {
	t.Parallel()
	y := seasonalSeries(24*10, 24, 100, 0, 20, 0, 1)
	want := seasonalSeries(24*12, 24, 100, 0, 20, 0, 1)[len(y):]
	for _, m := range []Model{
		SeasonalNaive{Season: 24},
		HoltWinters{Season: 24},
		HoltWinters{Season: 24, Multiplicative: true},
		Naive2{Season: 24},
		Theta{Season: 24},
		Auto{Seasons: []int{24, 168}},
	} {
		f, err := m.Forecast(y, 48)
		require.NoError(t, err, m.Name())
		for j := range want {
			require.InDelta(t, want[j], f.Point[j], 0.5, "%s step %d", m.Name(), j)
		}
	}
}

func TestSeasonalMeanAveragesCycles(t *testing.T) {
	t.Parallel()
	y := []float64{1, 10, 3, 20, 5, 30, 7, 40}
	f, err := SeasonalMean{Season: 2, Cycles: 3}.Forecast(y, 4)
	require.NoError(t, err)
	require.Equal(t, []float64{5, 30, 5, 30}, f.Point)
	require.Equal(t, "smean2x3", f.Model)
	require.Greater(t, f.Upper95[2]-f.Lower95[2], f.Upper95[1]-f.Lower95[1], "widens each season")

	// More cycles than the series holds: all of them are used.
	f, err = SeasonalMean{Season: 2, Cycles: 10}.Forecast(y, 1)
	require.NoError(t, err)
	require.Equal(t, 4.0, f.Point[0])
}

func TestSmoothingFollowsLevelAndTrend(t *testing.T) {
	t.Parallel()
	// A random walk: SES should put nearly all weight on the last value.
	walk := seasonalSeries(300, 24, 0, 0, 0, 1, 7)
	for i := 1; i < len(walk); i++ {
		walk[i] += walk[i-1]
	}
	f, err := SES{}.Forecast(walk, 5)
	require.NoError(t, err)
	require.InDelta(t, walk[len(walk)-1], f.Point[0], 0.3)

	// A noisy line: Holt recovers the slope.
	line := seasonalSeries(300, 24, 10, 0.5, 0, 0.1, 8)
	f, err = Holt{}.Forecast(line, 10)
	require.NoError(t, err)
	require.InDelta(t, 10+0.5*309, f.Point[9], 1)

	// Damping flattens the trend: damped forecasts grow less than undamped.
	fd, err := Holt{Damped: true}.Forecast(line, 100)
	require.NoError(t, err)
	fu, err := Holt{}.Forecast(line, 100)
	require.NoError(t, err)
	require.Less(t, fd.Point[99], fu.Point[99])
}

func TestIntervalsWidenWithHorizon(t *testing.T) {
	t.Parallel()
	y := seasonalSeries(24*14, 24, 100, 0.05, 10, 3, 3)
	for _, m := range []Model{
		Naive{}, SeasonalNaive{Season: 24}, Linear{}, MovingAverage{}, SES{}, Holt{},
		Holt{Damped: true}, HoltWinters{Season: 24}, Theta{},
	} {
		f, err := m.Forecast(y, 72)
		require.NoError(t, err, m.Name())
		requireFinite(t, f, 72)
		for j := 1; j < 72; j++ {
			require.GreaterOrEqual(t, f.Upper95[j]-f.Lower95[j], f.Upper95[j-1]-f.Lower95[j-1]-1e-9, "%s step %d", m.Name(), j)
		}
		require.Greater(t, f.Upper95[71]-f.Lower95[71], f.Upper95[0]-f.Lower95[0], m.Name())
	}
}

func TestIntervalsCoverHeldOutNoise(t *testing.T) {
	t.Parallel()
	// White noise around a level: about 95 % of new points fall in the 95 %
	// interval of SES.
	y := seasonalSeries(2000, 24, 50, 0, 0, 2, 11)
	f, err := SES{}.Forecast(y[:1000], 1)
	require.NoError(t, err)
	inside := 0
	for _, v := range y[1000:] {
		if v >= f.Lower95[0] && v <= f.Upper95[0] {
			inside++
		}
	}
	require.InDelta(t, 0.95, float64(inside)/1000, 0.03)
}

func TestAwkwardInputsNeverGiveNaN(t *testing.T) {
	t.Parallel()
	cases := map[string][]float64{
		"one point":  {3},
		"two points": {3, 4},
		"zeros":      make([]float64, 100),
		"mostly zero": func() []float64 {
			y := make([]float64, 100)
			y[17], y[60] = 5, 1
			return y
		}(),
		"negative": seasonalSeries(100, 7, -50, 0, 10, 2, 4),
		"huge":     seasonalSeries(100, 7, 1e300, 0, 1e299, 1e298, 5),
		"tiny":     seasonalSeries(100, 7, 1e-300, 0, 1e-301, 1e-302, 6),
		"steps":    {0, 0, 0, 1e6, 1e6, 0, 0, 0, 1e6, 1e6, 0, 0},
	}
	for name, y := range cases {
		for _, m := range allModels(7) {
			f, err := m.Forecast(y, 10)
			require.NoError(t, err, "%s on %s", m.Name(), name)
			requireFinite(t, f, 10)
		}
	}
}

func TestAllZerosGiveZeros(t *testing.T) {
	t.Parallel()
	for _, m := range allModels(7) {
		f, err := m.Forecast(make([]float64, 60), 5)
		require.NoError(t, err)
		require.Equal(t, make([]float64, 5), f.Point, m.Name())
	}
}

func TestInvalidInput(t *testing.T) {
	t.Parallel()
	for _, m := range allModels(7) {
		_, err := m.Forecast(nil, 3)
		require.ErrorIs(t, err, ErrNoData, m.Name())
		_, err = m.Forecast([]float64{1, 2}, 0)
		require.ErrorIs(t, err, ErrHorizon, m.Name())
		_, err = m.Forecast([]float64{1, math.NaN()}, 1)
		require.ErrorIs(t, err, ErrNotFinite, m.Name())
	}
}

func TestIsSeasonal(t *testing.T) {
	t.Parallel()
	require.True(t, IsSeasonal(seasonalSeries(24*5, 24, 10, 0, 5, 1, 1), 24))
	require.False(t, IsSeasonal(seasonalSeries(24*5, 24, 10, 0, 0, 1, 1), 24), "white noise")
	require.False(t, IsSeasonal(seasonalSeries(24*2, 24, 10, 0, 5, 1, 1), 24), "needs three seasons")
	require.False(t, IsSeasonal(make([]float64, 100), 7), "constant")
}

func TestAdjustedUsesAdditivePatternWithZeros(t *testing.T) {
	t.Parallel()
	// Zero-heavy data cannot be divided by a seasonal index; the additive
	// pattern still puts the weekly shape back.
	y := make([]float64, 7*10)
	for i := range y {
		if i%7 == 5 {
			y[i] = 100
		}
	}
	f, err := Adjusted{Model: SES{}, Season: 7}.Forecast(y, 7)
	require.NoError(t, err)
	for j, p := range f.Point {
		if (len(y)+j)%7 == 5 {
			require.InDelta(t, 100, p, 1)
		} else {
			require.InDelta(t, 0, p, 1)
		}
	}
}

func TestAutoValidatesOnTrainingTailOnly(t *testing.T) {
	t.Parallel()
	// Weekly pattern on hourly data: only candidates with season 168 can
	// forecast it, and validation must find them.
	y := make([]float64, 168*5)
	for i := range y {
		y[i] = 10 + 5*math.Sin(2*math.Pi*float64(i)/24)
		if (i/24)%7 >= 5 {
			y[i] *= 0.3 // weekends are quiet
		}
	}
	f, err := Auto{Seasons: []int{24, 168}}.Forecast(y[:168*4], 48)
	require.NoError(t, err)
	for j := range 48 {
		require.InDelta(t, y[168*4+j], f.Point[j], 0.5, "step %d (%s)", j, f.Model)
	}
	require.Contains(t, f.Model, "auto(")
}

func TestAutoValidatesALongHorizonOnAShortSeries(t *testing.T) {
	t.Parallel()
	// Three weeks of a level growing by one a day, forecast to the end of a
	// month: longer than half the series, so validation uses shorter windows
	// instead of none (which would leave the first candidate, seasonal naive).
	y := make([]float64, 21)
	for i := range y {
		y[i] = 20 + float64(i)
	}
	f, err := Auto{Seasons: []int{7}}.Forecast(y, 17)
	require.NoError(t, err)
	for j, p := range f.Point {
		require.InDelta(t, 41+float64(j), p, 0.5, "step %d (%s)", j, f.Model)
	}
}

func TestAutoCombine(t *testing.T) {
	t.Parallel()
	y := seasonalSeries(24*14, 24, 100, 0.05, 10, 3, 3)
	f, err := Auto{Seasons: []int{24}, Combine: 3}.Forecast(y, 24)
	require.NoError(t, err)
	requireFinite(t, f, 24)
	require.Equal(t, 3, len(splitPlus(f.Model)))
}

func splitPlus(s string) []string {
	var out []string
	start := 0
	for i, r := range s {
		if r == '+' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
