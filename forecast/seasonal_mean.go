package forecast

import (
	"math"
	"strconv"
)

// SeasonalMean forecasts each step as the mean of the observations at the same
// position in the last Cycles seasons of length Season: with Season 168 on
// hourly data and Cycles 3, next Monday 9:00 is the mean of the last three
// Mondays at 9:00. Averaging cycles damps the one-off spikes seasonal naive
// repeats.
//
// σ is the root mean square of the same rule's in-sample errors and the
// interval at step j (from 1) is σ·sqrt(⌈j/Season⌉), a heuristic that widens
// once per season, as for [SeasonalNaive]. Cycles defaults to 2 and is cut to the number of whole seasons
// in the series; with none (or Season below 2) the method is [Naive].
type SeasonalMean struct {
	Season int
	Cycles int
}

// Name returns "smean" followed by the season and cycles, for example
// "smean168x3".
func (m SeasonalMean) Name() string {
	return "smean" + strconv.Itoa(m.Season) + "x" + strconv.Itoa(m.cycles())
}

func (m SeasonalMean) cycles() int {
	if m.Cycles <= 0 {
		return 2
	}
	return m.Cycles
}

// Forecast predicts h steps.
func (m SeasonalMean) Forecast(y []float64, h int) (Forecast, error) {
	return run(m.Name(), y, h, func(y []float64, h int) (fit, error) {
		n, s := len(y), m.Season
		if s < 2 || n < s {
			return seasonalNaive(y, h, 1), nil
		}
		k := min(m.cycles(), n/s)
		meanAt := func(t int) float64 { // mean of y[t−s], y[t−2s], … (k terms)
			sum := 0.0
			for c := 1; c <= k; c++ {
				sum += y[t-c*s]
			}
			return sum / float64(k)
		}
		sse, count := 0.0, 0
		for t := k * s; t < n; t++ {
			e := y[t] - meanAt(t)
			sse += e * e
			count++
		}
		sigma := 0.0
		if count > 0 {
			sigma = math.Sqrt(sse / float64(count))
		}
		r := fit{point: make([]float64, h), sd: make([]float64, h)}
		for j := range r.point {
			// Steps beyond one season reuse the same cycles, like seasonal naive.
			r.point[j] = meanAt(n + j%s)
			r.sd[j] = sigma * math.Sqrt(float64(1+j/s))
		}
		return r, nil
	})
}
