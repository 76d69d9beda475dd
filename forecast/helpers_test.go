package forecast

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// allModels lists every model with settings that exercise its seasonal path.
func allModels(season int) []Model {
	return []Model{
		Naive{},
		SeasonalNaive{Season: season},
		SeasonalMean{Season: season, Cycles: 3},
		Naive2{Season: season},
		Linear{},
		MovingAverage{},
		SES{},
		Holt{},
		Holt{Damped: true},
		HoltWinters{Season: season},
		HoltWinters{Season: season, Multiplicative: true},
		HoltWinters{Season: season, Damped: true},
		Theta{Season: season},
		Adjusted{Model: SES{}, Season: season},
		Auto{Seasons: []int{season}},
		Auto{},
	}
}

// requireFinite fails unless every value of f is finite, the slices have
// length h, and the bounds are ordered around the point.
func requireFinite(t *testing.T, f Forecast, h int) {
	t.Helper()
	for _, s := range [][]float64{f.Point, f.Lower80, f.Upper80, f.Lower95, f.Upper95} {
		require.Len(t, s, h)
		for _, v := range s {
			require.False(t, math.IsNaN(v) || math.IsInf(v, 0), "%s: non-finite value %v", f.Model, v)
		}
	}
	for j := range f.Point {
		require.LessOrEqual(t, f.Lower95[j], f.Lower80[j], f.Model)
		require.LessOrEqual(t, f.Lower80[j], f.Point[j], f.Model)
		require.LessOrEqual(t, f.Point[j], f.Upper80[j], f.Model)
		require.LessOrEqual(t, f.Upper80[j], f.Upper95[j], f.Model)
	}
}

// seasonalSeries is level + trend·t + a sine of the given period + noise.
func seasonalSeries(n, period int, level, trend, amp, noise float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	y := make([]float64, n)
	for t := range y {
		y[t] = level + trend*float64(t) + amp*math.Sin(2*math.Pi*float64(t)/float64(period)) + noise*r.NormFloat64()
	}
	return y
}
