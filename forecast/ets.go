package forecast

import (
	"errors"
	"math"
)

// SES is simple exponential smoothing: the forecast is a level updated after
// every observation by level += α·(y − level). α in (0, 1) minimises the sum of
// squared one-step errors; the initial level is the first observation.
// Intervals use the model's variance σ²·(1 + (j−1)·α²) at step j, so they widen
// with the horizon. The zero value is ready to use.
type SES struct{}

// Name returns "ses".
func (SES) Name() string { return "ses" }

// Forecast fits SES to y and predicts h steps; every step gets the same point.
func (SES) Forecast(y []float64, h int) (Forecast, error) {
	return run("ses", y, h, func(y []float64, h int) (fit, error) {
		return fitETS(y, h, etsSpec{})
	})
}

// Holt is Holt's linear trend method: a level and a slope, both smoothed. With
// Damped the slope is multiplied by φ in [0.8, 0.98] at every step, so
// long-range forecasts flatten out instead of growing without bound. α, β (and
// φ) minimise the sum of squared one-step errors; the initial level and slope
// come from a least-squares line through the first ten points. Intervals use
// the model's variance, as for [HoltWinters]. Series shorter than 3 points fall
// back to SES. The zero value is the undamped method.
type Holt struct {
	Damped bool
}

// Name returns "holt", or "damped" for the damped-trend method.
func (m Holt) Name() string {
	if m.Damped {
		return "damped"
	}
	return "holt"
}

// Forecast fits the method to y and predicts h steps.
func (m Holt) Forecast(y []float64, h int) (Forecast, error) {
	return run(m.Name(), y, h, func(y []float64, h int) (fit, error) {
		return fitETS(y, h, etsSpec{trend: true, damped: m.Damped})
	})
}

// HoltWinters is the Holt-Winters method: level, trend and a seasonal pattern of
// period Season (for example 24 on hourly data, 7 on daily data), either added to
// or, with Multiplicative, multiplied with the trend line. α, β, γ (and φ when
// Damped) minimise the sum of squared one-step errors; the initial seasonal
// pattern comes from a classical decomposition of y. Intervals use the
// additive model's variance σ²·(1 + Σ_{k<j} c_k²) (see Hyndman et al.,
// Forecasting with Exponential Smoothing, 2008), scaled by the seasonal factor
// of the step for the multiplicative method, an approximation.
//
// Fallbacks, in order: a Season below 2 or a series shorter than two seasons
// gives Holt's method; Multiplicative on a series that is not strictly positive,
// or whose trend line reaches zero for every parameter tried, gives the additive
// method. The zero value is therefore Holt's method.
type HoltWinters struct {
	Season         int
	Multiplicative bool
	Damped         bool
}

// Name returns "hw_add" or "hw_mul", with a "_damped" suffix when damped.
func (m HoltWinters) Name() string {
	name := "hw_add"
	if m.Multiplicative {
		name = "hw_mul"
	}
	if m.Damped {
		name += "_damped"
	}
	return name
}

// Forecast fits the method to y and predicts h steps.
func (m HoltWinters) Forecast(y []float64, h int) (Forecast, error) {
	return run(m.Name(), y, h, func(y []float64, h int) (fit, error) {
		spec := etsSpec{trend: true, damped: m.Damped, season: m.Season, mul: m.Multiplicative}
		if spec.season < 2 || len(y) < 2*spec.season {
			spec.season, spec.mul = 0, false
		}
		if spec.mul && !positive(y) {
			spec.mul = false
		}
		r, err := fitETS(y, h, spec)
		if errors.Is(err, errUnstable) {
			spec.mul = false
			return fitETS(y, h, spec)
		}
		return r, err
	})
}

// etsSpec selects the components of an exponential smoothing model.
type etsSpec struct {
	trend  bool
	damped bool
	season int // period; 0 means no seasonal component
	mul    bool
}

// etsParams are the smoothing parameters in component form.
type etsParams struct {
	alpha, beta, gamma, phi float64
}

// etsState is the state after the last observation; season[i] applies to the
// observations at times t with t%len(season) == i.
type etsState struct {
	level, slope float64
	season       []float64
}

// params maps a point of the unit box to parameters that keep the model stable
// in the usual region: 0 < β ≤ 1, 0 ≤ γ ≤ 1−α, 0.8 ≤ φ ≤ 0.98.
func (s etsSpec) params(u []float64) etsParams {
	p := etsParams{alpha: 0.0001 + 0.9998*u[0], phi: 1}
	i := 1
	if s.trend {
		p.beta = 0.0001 + 0.9998*u[i]
		i++
	}
	if s.season > 0 {
		p.gamma = (1 - p.alpha) * u[i]
		i++
	}
	if s.damped {
		p.phi = 0.8 + 0.18*u[i]
	}
	return p
}

// start returns the starting point in the unit box: α 0.3, β 0.1, γ 0.1, φ 0.95.
func (s etsSpec) start() []float64 {
	u := []float64{0.3}
	if s.trend {
		u = append(u, 0.1)
	}
	if s.season > 0 {
		u = append(u, 0.1/0.7)
	}
	if s.damped {
		u = append(u, (0.95-0.8)/0.18)
	}
	return u
}

// initial returns the state before the first observation: seasonal pattern from
// classical decomposition, level and slope from a least-squares line through the
// first (up to two seasons or ten) seasonally adjusted points.
func (s etsSpec) initial(y []float64) etsState {
	st := etsState{}
	if s.season > 0 {
		st.season = seasonalIndices(y, s.season, s.mul)
	}
	k := min(len(y), max(10, 2*s.season))
	adj := make([]float64, k)
	for t := range adj {
		adj[t] = y[t]
		switch {
		case st.season == nil:
		case s.mul:
			adj[t] /= st.season[t%s.season]
		default:
			adj[t] -= st.season[t%s.season]
		}
	}
	if !s.trend {
		st.level = adj[0]
		return st
	}
	a, b := olsLine(adj)
	st.level, st.slope = a-b, b
	return st
}

var errUnstable = errors.New("model state left the valid region")

// filter runs the model over y from state st, which it updates, and returns
// the sum of squared one-step errors and, for the intervals of multiplicative
// models, the sum of squared errors relative to the seasonal factor. It returns
// errUnstable when a multiplicative model's trend line stops being positive.
func (s etsSpec) filter(y []float64, p etsParams, st *etsState) (sse, sseRel float64, err error) {
	// Locals rather than st's fields keep the state in registers, and i is
	// t%m kept by hand: a division per step would dominate the cost.
	level, slope, season := st.level, st.slope, st.season
	alpha, beta, gamma, phi := p.alpha, p.beta, p.gamma, p.phi
	m, i := s.season, 0
	for _, v := range y {
		base := level + phi*slope
		prev := level
		switch {
		case m == 0:
			e := v - base
			sse += e * e
			level = base + alpha*e
		case s.mul:
			sf := season[i]
			if !(base > 0) || !(sf > 0) {
				return 0, 0, errUnstable
			}
			e := v - base*sf
			sse += e * e
			sseRel += (e / sf) * (e / sf)
			level = alpha*v/sf + (1-alpha)*base
			season[i] = gamma*v/base + (1-gamma)*sf
		default:
			sf := season[i]
			e := v - base - sf
			sse += e * e
			level = base + alpha*e
			season[i] = sf + gamma*e
		}
		if s.trend {
			slope = beta*(level-prev) + (1-beta)*phi*slope
		}
		if i++; i == m {
			i = 0
		}
	}
	st.level, st.slope = level, slope
	return sse, sseRel, nil
}

// etsModel is a fitted exponential smoothing model.
type etsModel struct {
	spec  etsSpec
	p     etsParams
	state etsState // after the last observation
	n     int      // observations fitted
	sigma float64  // standard deviation of the one-step errors
}

// fitSmoothing fits the model to y by least squares of the one-step errors.
// Trend models need three points and fall back to SES below that.
func fitSmoothing(y []float64, s etsSpec) (etsModel, error) {
	n := len(y)
	if n < 3 && s.trend {
		s = etsSpec{}
	}
	init := s.initial(y)
	scratch := make([]float64, len(init.season))
	objective := func(u []float64) float64 {
		st := init
		copy(scratch, init.season)
		st.season = scratch
		sse, _, err := s.filter(y, s.params(u), &st)
		if err != nil || math.IsNaN(sse) {
			return math.Inf(1)
		}
		return sse
	}
	dim := len(s.start())
	u := minimizeBox(objective, s.start(), 30+50*dim)
	p := s.params(u)
	st := init
	st.season = append([]float64(nil), init.season...)
	sse, sseRel, err := s.filter(y, p, &st)
	if err != nil {
		return etsModel{}, err
	}
	k := dim + 1 + len(st.season)
	if s.trend {
		k++
	}
	if s.mul {
		sse = sseRel
	}
	return etsModel{spec: s, p: p, state: st, n: n, sigma: residualSD(sse, n, k)}, nil
}

// forecast extends the fitted model h steps. Intervals come from the linear
// model's variance: σ²·(1 + Σ_{k<j} c_k²) with c_k = α·(1 + β·Σ_{i≤k} φ^i) +
// γ·[k%m == 0]; multiplicative models scale that by the seasonal factor of the
// step (an approximation).
func (e etsModel) forecast(h int) fit {
	s, p, st := e.spec, e.p, e.state
	r := fit{point: make([]float64, h), sd: make([]float64, h)}
	trendSum, phiPow, cum := 0.0, 1.0, 0.0
	for j := 1; j <= h; j++ {
		phiPow *= p.phi
		trendSum += phiPow
		point := st.level
		if s.trend {
			point += trendSum * st.slope
		}
		sf := 1.0
		if s.season > 0 {
			idx := (e.n + j - 1) % s.season
			if s.mul {
				sf = st.season[idx]
				point *= sf
			} else {
				point += st.season[idx]
			}
		}
		r.point[j-1] = point
		r.sd[j-1] = e.sigma * math.Sqrt(1+cum) * sf
		c := p.alpha * (1 + p.beta*trendSum)
		if s.season > 0 && j%s.season == 0 {
			c += p.gamma
		}
		cum += c * c
	}
	return r
}

// fitETS fits the model and forecasts h steps.
func fitETS(y []float64, h int, s etsSpec) (fit, error) {
	m, err := fitSmoothing(y, s)
	if err != nil {
		return fit{}, err
	}
	return m.forecast(h), nil
}

// olsLine fits y = a + b·t for t = 0, 1, … by least squares. A single point
// gives a flat line.
func olsLine(y []float64) (a, b float64) {
	n := float64(len(y))
	if len(y) < 2 {
		return y[0], 0
	}
	tm := (n - 1) / 2
	ym := 0.0
	for _, v := range y {
		ym += v
	}
	ym /= n
	var sxy, sxx float64
	for t, v := range y {
		d := float64(t) - tm
		sxy += d * (v - ym)
		sxx += d * d
	}
	b = sxy / sxx
	return ym - b*tm, b
}

func positive(y []float64) bool {
	for _, v := range y {
		if !(v > 0) {
			return false
		}
	}
	return true
}
