package anomaly

import "math"

// finite reports whether v is neither NaN nor ±Inf.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// clamp01 maps x into [0, 1]; NaN becomes 0.
func clamp01(x float64) float64 {
	switch {
	case x > 1:
		return 1
	case x > 0:
		return x
	default:
		return 0
	}
}

// upperTailSurprisal is −log10 P(Z ≥ z) for a standard normal Z, in decades: 0.3 at
// z = 0, 2.87 at z = 3. It stays finite and increasing far past where P underflows,
// so that extreme points keep their order instead of tying at probability 0.
func upperTailSurprisal(z float64) float64 {
	switch {
	case math.IsNaN(z):
		return 0
	case z < 30:
		return -math.Log10(math.Erfc(z/math.Sqrt2) / 2)
	default:
		// Mills ratio asymptote: ln P(Z ≥ z) ≈ −z²/2 − ln z − ln √(2π).
		return (z*z/2 + math.Log(z) + 0.5*math.Log(2*math.Pi)) / math.Ln10
	}
}

// surprisal is −log10 P(|Z| ≥ |z|), the two-sided version: 0 at z = 0, 2.57 at
// |z| = 3, 8.7 at |z| = 6.
func surprisal(z float64) float64 {
	return max(upperTailSurprisal(math.Abs(z))-math.Log10(2), 0)
}

// squash maps a surprisal s ≥ 0 (in decades) to a score s/(1+s) in [0, 1]: 0.5 at
// p = 0.1, 0.72 at p = 0.0027 (|z| = 3), 0.9 at p = 1e-9. Unlike 1 − p it does not
// round to 1 for extreme points, so they stay ranked.
func squash(s float64) float64 {
	if math.IsInf(s, 1) {
		return 1
	}
	return clamp01(s / (1 + s))
}

// zScore is the score of a two-sided z statistic: squash(surprisal(z)).
func zValue(z float64) float64 { return squash(surprisal(z)) }

// ratio divides num by den, returning ±Inf (or 0 for 0/0) instead of NaN so that
// a zero spread reads as "infinitely unusual" unless nothing changed.
func ratio(num, den float64) float64 {
	if den > 0 && finite(den) {
		return num / den
	}
	switch {
	case num > 0:
		return math.Inf(1)
	case num < 0:
		return math.Inf(-1)
	default:
		return 0
	}
}
