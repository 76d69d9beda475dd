package forecast

import "math"

// Theta is the standard Theta method (Assimakopoulos and Nikolopoulos, 2000) as
// in the M4 competition's benchmarks: the average of the least-squares trend line
// (the θ=0 line) extended, and simple exponential smoothing of the θ=2 line
// 2·y − trend. With Season ≥ 2 the series is first seasonally adjusted as
// [Adjusted] describes, and the pattern is put back on the forecast.
//
// Intervals follow its equivalence with SES with drift (Hyndman and Billah,
// 2003): σ·sqrt(1 + (j−1)·α²) at step j, σ from the in-sample one-step errors.
// The zero value is the non-seasonal method.
type Theta struct {
	Season int
}

// Name returns "theta".
func (Theta) Name() string { return "theta" }

// Forecast predicts h steps.
func (m Theta) Forecast(y []float64, h int) (Forecast, error) {
	if m.Season >= 2 {
		f, err := Adjusted{Model: Theta{}, Season: m.Season}.Forecast(y, h)
		if err != nil {
			return Forecast{}, err
		}
		f.Model = "theta"
		return f, nil
	}
	return run("theta", y, h, thetaFit)
}

func thetaFit(y []float64, h int) (fit, error) {
	n := len(y)
	a, b := olsLine(y)
	line := make([]float64, n)
	for t, v := range y {
		line[t] = 2*v - (a + b*float64(t))
	}
	ses, err := fitSmoothing(line, etsSpec{})
	if err != nil {
		return fit{}, err
	}
	alpha := ses.p.alpha
	sesPoint := ses.forecast(h).point
	// In-sample one-step errors of the combined forecast.
	level, sse := line[0], 0.0
	for t, v := range y {
		e := v - (0.5*level + 0.5*(a+b*float64(t)))
		sse += e * e
		level += alpha * (line[t] - level)
	}
	sigma := residualSD(sse, n, 3)
	r := fit{point: make([]float64, h), sd: make([]float64, h)}
	for j := range r.point {
		r.point[j] = 0.5*sesPoint[j] + 0.5*(a+b*float64(n+j))
		r.sd[j] = sigma * math.Sqrt(1+float64(j)*alpha*alpha)
	}
	return r, nil
}
