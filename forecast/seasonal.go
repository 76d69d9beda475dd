package forecast

import "math"

// IsSeasonal reports whether y has seasonality of period m by the test used in
// the M4 competition's benchmarks: the lag-m autocorrelation must exceed
// 1.645·sqrt((1 + 2·Σ_{k<m} acf_k²)/n), a 90 % one-sided bound. It is false when
// m < 2, when y has fewer than 3·m points, or when y is constant.
func IsSeasonal(y []float64, m int) bool {
	n := len(y)
	if m < 2 || n < 3*m {
		return false
	}
	r := acf(y, m)
	if r == nil {
		return false
	}
	sum := 1.0
	for k := 1; k < m; k++ {
		sum += 2 * r[k] * r[k]
	}
	return math.Abs(r[m]) > 1.645*math.Sqrt(sum/float64(n))
}

// acf returns the sample autocorrelations of y at lags 0..maxLag (biased
// estimator, as R's acf), or nil when y is constant.
func acf(y []float64, maxLag int) []float64 {
	n := len(y)
	mean := 0.0
	for _, v := range y {
		mean += v
	}
	mean /= float64(n)
	c0 := 0.0
	for _, v := range y {
		c0 += (v - mean) * (v - mean)
	}
	if c0 == 0 {
		return nil
	}
	r := make([]float64, maxLag+1)
	for k := range r {
		c := 0.0
		for t := k; t < n; t++ {
			c += (y[t] - mean) * (y[t-k] - mean)
		}
		r[k] = c / c0
	}
	return r
}

// seasonalIndices estimates the seasonal pattern of period m by classical
// decomposition: a centred moving average of length m (2×m for even m) as the
// trend, then the mean ratio (multiplicative) or difference (additive) to it at
// each position of the cycle, normalised to average 1 or 0. Position i applies
// to y[t] with t%m == i. It returns nil when y is shorter than 2·m, or, for
// multiplicative indices, when y is not strictly positive.
func seasonalIndices(y []float64, m int, multiplicative bool) []float64 {
	n := len(y)
	if m < 2 || n < 2*m {
		return nil
	}
	if multiplicative {
		for _, v := range y {
			if !(v > 0) {
				return nil
			}
		}
	}
	half := m / 2
	sum := make([]float64, m)
	count := make([]int, m)
	for t := half; t < n-half; t++ {
		var trend float64
		if m%2 == 0 {
			trend = 0.5*y[t-half] + 0.5*y[t+half]
			for k := t - half + 1; k < t+half; k++ {
				trend += y[k]
			}
		} else {
			for k := t - half; k <= t+half; k++ {
				trend += y[k]
			}
		}
		trend /= float64(m)
		if multiplicative {
			sum[t%m] += y[t] / trend
		} else {
			sum[t%m] += y[t] - trend
		}
		count[t%m]++
	}
	mean := 0.0
	for i := range sum {
		sum[i] /= float64(count[i])
		mean += sum[i]
	}
	mean /= float64(m)
	for i := range sum {
		if multiplicative {
			sum[i] /= mean
		} else {
			sum[i] -= mean
		}
	}
	return sum
}
