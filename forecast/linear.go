package forecast

import "math"

// Linear fits a straight line y = a + b·t by least squares and extends it. Its
// intervals are the classical regression prediction intervals,
// se·sqrt(1 + 1/n + (t−t̄)²/Sxx) with Student t quantiles on n−2 degrees of
// freedom, so they widen as the forecast moves away from the data. One point
// gives a flat line; two points give the exact line with zero-width intervals.
// The zero value is ready to use.
type Linear struct{}

// Name returns "linear".
func (Linear) Name() string { return "linear" }

// Forecast fits the line to y and predicts h steps.
func (Linear) Forecast(y []float64, h int) (Forecast, error) {
	return run("linear", y, h, func(y []float64, h int) (fit, error) {
		n := len(y)
		a, b := olsLine(y)
		tm := float64(n-1) / 2
		var sse, sxx float64
		for t, v := range y {
			e := v - (a + b*float64(t))
			sse += e * e
			sxx += (float64(t) - tm) * (float64(t) - tm)
		}
		r := fit{point: make([]float64, h), sd: make([]float64, h)}
		if n > 2 {
			r.df = float64(n - 2)
		}
		se := 0.0
		if n > 2 {
			se = math.Sqrt(sse / float64(n-2))
		}
		for j := range r.point {
			t := float64(n + j)
			r.point[j] = a + b*t
			if sxx > 0 {
				r.sd[j] = se * math.Sqrt(1+1/float64(n)+(t-tm)*(t-tm)/sxx)
			}
		}
		return r, nil
	})
}
