package main

import "math"

// smape is the M4 symmetric MAPE in percent: (200/h)·Σ|y−ŷ|/(|y|+|ŷ|), with a
// step where both are zero counting as a perfect forecast.
func smape(actual, forecast []float64) float64 {
	sum := 0.0
	for i, y := range actual {
		den := math.Abs(y) + math.Abs(forecast[i])
		if den > 0 {
			sum += math.Abs(y-forecast[i]) / den
		}
	}
	return 200 * sum / float64(len(actual))
}

// mase is the mean absolute error scaled by the in-sample mean absolute
// seasonal difference of lag m (M4's definition).
func mase(train, actual, forecast []float64, m int) float64 {
	mae := 0.0
	for i, y := range actual {
		mae += math.Abs(y - forecast[i])
	}
	mae /= float64(len(actual))
	return mae / maseScale(train, m)
}

// maseScale is mean |y_t − y_{t−m}| over the training data. Series too short
// for lag m use lag 1; a scale of zero (a constant series) becomes 1 so that
// the series still counts, its MASE then being its mean absolute error.
func maseScale(train []float64, m int) float64 {
	if m < 1 || len(train) <= m {
		m = 1
	}
	sum, count := 0.0, 0
	for t := m; t < len(train); t++ {
		sum += math.Abs(train[t] - train[t-m])
		count++
	}
	if count == 0 || sum == 0 {
		return 1
	}
	return sum / float64(count)
}
