package forecast

import (
	"math"
	"slices"
)

// minimizeBox minimises f over the unit box [0,1]^d with the Nelder-Mead simplex
// method, starting from x0, and returns the best point found. Trial points are
// clamped into the box, so f is never called outside it.
//
// gonum's optimize.Minimize offers Nelder-Mead too, but it routes every function
// evaluation through goroutines and channels, which costs several times more than
// evaluating a smoothing model on a 90-point series; fitting thousands of series
// per second needs this plain loop.
func minimizeBox(f func(x []float64) float64, x0 []float64, maxEvals int) []float64 {
	// Stop when the simplex's values agree to this relative precision: the
	// objectives are sums of squared errors, where finer digits do not change
	// forecasts.
	const tol = 1e-7
	d := len(x0)
	clampUnit := func(x []float64) {
		for i, v := range x {
			switch {
			case v < 0:
				x[i] = 0
			case v > 1:
				x[i] = 1
			}
		}
	}
	evals := 0
	eval := func(x []float64) vertex {
		clampUnit(x)
		evals++
		return vertex{x: x, f: f(x)}
	}
	simplex := make([]vertex, d+1)
	simplex[0] = eval(append([]float64(nil), x0...))
	for i := 0; i < d; i++ {
		x := append([]float64(nil), x0...)
		// Step towards the far side of the box so the simplex never collapses
		// onto a face.
		if x[i] < 0.5 {
			x[i] += 0.25
		} else {
			x[i] -= 0.25
		}
		simplex[i+1] = eval(x)
	}
	centroid := make([]float64, d)
	along := func(t float64) []float64 {
		worst := simplex[d].x
		x := make([]float64, d)
		for i := range x {
			x[i] = centroid[i] + t*(worst[i]-centroid[i])
		}
		return x
	}
	for evals < maxEvals {
		slices.SortFunc(simplex, byValue)
		best, worst := simplex[0], simplex[d]
		if worst.f-best.f <= tol*(1e-3+math.Abs(best.f)) {
			break
		}
		for i := range centroid {
			centroid[i] = 0
			for _, v := range simplex[:d] {
				centroid[i] += v.x[i]
			}
			centroid[i] /= float64(d)
		}
		r := eval(along(-1))
		switch {
		case r.f < best.f:
			if e := eval(along(-2)); e.f < r.f {
				simplex[d] = e
			} else {
				simplex[d] = r
			}
		case r.f < simplex[d-1].f:
			simplex[d] = r
		default:
			t := 0.5 // inside contraction
			if r.f < worst.f {
				t = -0.5 // outside contraction
			}
			if c := eval(along(t)); c.f < min(r.f, worst.f) {
				simplex[d] = c
				continue
			}
			for i := 1; i <= d; i++ {
				x := make([]float64, d)
				for k := range x {
					x[k] = best.x[k] + 0.5*(simplex[i].x[k]-best.x[k])
				}
				simplex[i] = eval(x)
			}
		}
	}
	slices.SortFunc(simplex, byValue)
	return simplex[0].x
}

type vertex struct {
	x []float64
	f float64
}

func byValue(a, b vertex) int {
	switch {
	case a.f < b.f:
		return -1
	case a.f > b.f:
		return 1
	}
	return 0
}
