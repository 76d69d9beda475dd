package forecast

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// withIntervals builds a Forecast from point forecasts and error standard
// deviations, assuming errors are normal (or Student t when r.df > 0) and
// centred on the point forecast. A NaN or negative sd counts as zero; bounds
// that overflow are clamped to ±math.MaxFloat64.
func withIntervals(name string, r fit) Forecast {
	z80, z95 := quantiles(r.df)
	h := len(r.point)
	f := Forecast{
		Model:   name,
		Point:   make([]float64, h),
		Lower80: make([]float64, h),
		Upper80: make([]float64, h),
		Lower95: make([]float64, h),
		Upper95: make([]float64, h),
	}
	for i, p := range r.point {
		sd := r.sd[i]
		if !(sd > 0) {
			sd = 0
		}
		f.Point[i] = clampFinite(p)
		f.Lower80[i] = clampFinite(p - z80*sd)
		f.Upper80[i] = clampFinite(p + z80*sd)
		f.Lower95[i] = clampFinite(p - z95*sd)
		f.Upper95[i] = clampFinite(p + z95*sd)
	}
	return f
}

// quantiles returns the 90th and 97.5th percentiles, the half-widths in standard
// deviations of the 80 % and 95 % central intervals.
func quantiles(df float64) (z80, z95 float64) {
	if df > 0 {
		t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}
		return t.Quantile(0.90), t.Quantile(0.975)
	}
	return distuv.UnitNormal.Quantile(0.90), distuv.UnitNormal.Quantile(0.975)
}

func clampFinite(v float64) float64 {
	switch {
	case math.IsNaN(v):
		return 0
	case v > math.MaxFloat64:
		return math.MaxFloat64
	case v < -math.MaxFloat64:
		return -math.MaxFloat64
	}
	return v
}

// sdFromWidth recovers the standard deviation of a step from its 95 % interval,
// assuming the normal distribution used to build it.
func sdFromWidth(lower95, upper95 float64) float64 {
	sd := (upper95 - lower95) / (2 * distuv.UnitNormal.Quantile(0.975))
	if !(sd > 0) || math.IsInf(sd, 0) {
		return 0
	}
	return sd
}

// residualSD is the standard deviation of one-step errors with k fitted
// parameters, from their sum of squares over n errors.
func residualSD(sse float64, n, k int) float64 {
	if n <= 0 {
		return 0
	}
	dof := n - k
	if dof < 1 {
		dof = 1
	}
	return math.Sqrt(sse / float64(dof))
}
