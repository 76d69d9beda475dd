package forecast

import "math"

// DefaultWindow is the window of a MovingAverage whose Window is zero.
const DefaultWindow = 7

// MovingAverage forecasts the mean of the last Window observations for every
// step. Window defaults to DefaultWindow and is cut to the series length.
//
// Its intervals are a heuristic, since the method has no statistical model: σ is
// the root mean square of the in-sample one-step errors (the spread of the data
// when the series is no longer than the window), widened as σ·sqrt(1 + (j−1)/Window)
// at step j because the level drifts away from the window's mean.
type MovingAverage struct {
	Window int
}

// Name returns "moving_average".
func (MovingAverage) Name() string { return "moving_average" }

// Forecast predicts h steps.
func (m MovingAverage) Forecast(y []float64, h int) (Forecast, error) {
	return run("moving_average", y, h, func(y []float64, h int) (fit, error) {
		n := len(y)
		w := m.Window
		if w <= 0 {
			w = DefaultWindow
		}
		w = min(w, n)
		sum := 0.0
		for _, v := range y[:w] {
			sum += v
		}
		var sse float64
		var count int
		for t := w; t < n; t++ {
			e := y[t] - sum/float64(w)
			sse += e * e
			count++
			sum += y[t] - y[t-w]
		}
		mean := sum / float64(w)
		if count == 0 {
			for _, v := range y {
				sse += (v - mean) * (v - mean)
			}
			count = n
		}
		sigma := math.Sqrt(sse / float64(count))
		r := fit{point: make([]float64, h), sd: make([]float64, h)}
		for j := range r.point {
			r.point[j] = mean
			r.sd[j] = sigma * math.Sqrt(1+float64(j)/float64(w))
		}
		return r, nil
	})
}
