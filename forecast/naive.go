package forecast

import "math"

// Naive repeats the last observation. Its intervals are those of a random walk:
// σ·sqrt(j) at step j, with σ the root mean square of the first differences. The
// zero value is ready to use.
type Naive struct{}

// Name returns "naive1", the M4 competition's name for the method.
func (Naive) Name() string { return "naive1" }

// Forecast predicts h copies of the last value of y.
func (Naive) Forecast(y []float64, h int) (Forecast, error) {
	return run("naive1", y, h, func(y []float64, h int) (fit, error) {
		return seasonalNaive(y, h, 1), nil
	})
}

// SeasonalNaive repeats the last full season: the forecast for a step is the
// observation Season steps earlier. Intervals grow with the number of seasons
// ahead, σ·sqrt(⌈j/Season⌉), σ from the seasonal differences. A Season below 2,
// or a series shorter than Season, gives the Naive method; so does the zero
// value.
type SeasonalNaive struct {
	Season int
}

// Name returns "snaive".
func (SeasonalNaive) Name() string { return "snaive" }

// Forecast predicts h steps by repeating the last Season observations.
func (m SeasonalNaive) Forecast(y []float64, h int) (Forecast, error) {
	return run("snaive", y, h, func(y []float64, h int) (fit, error) {
		s := m.Season
		if s < 2 || len(y) < s {
			s = 1
		}
		return seasonalNaive(y, h, s), nil
	})
}

// Naive2 is the M4 competition's reference: Naive on the seasonally adjusted
// series, with the seasonal pattern of period Season put back (see [Adjusted]).
// OWA scores are relative to it. The zero value is Naive.
type Naive2 struct {
	Season int
}

// Name returns "naive2".
func (Naive2) Name() string { return "naive2" }

// Forecast predicts h steps.
func (m Naive2) Forecast(y []float64, h int) (Forecast, error) {
	f, err := Adjusted{Model: Naive{}, Season: m.Season}.Forecast(y, h)
	if err != nil {
		return Forecast{}, err
	}
	f.Model = "naive2"
	return f, nil
}

func seasonalNaive(y []float64, h, s int) fit {
	n := len(y)
	sse, count := 0.0, 0
	for t := s; t < n; t++ {
		d := y[t] - y[t-s]
		sse += d * d
		count++
	}
	sigma := 0.0
	if count > 0 {
		sigma = math.Sqrt(sse / float64(count))
	}
	r := fit{point: make([]float64, h), sd: make([]float64, h)}
	for i := range r.point {
		r.point[i] = y[n-s+i%s]
		r.sd[i] = sigma * math.Sqrt(float64(i/s+1))
	}
	return r
}
