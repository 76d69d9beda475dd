package anomaly_test

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/usagekit/usage/anomaly"
)

var t0 = time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC) // a Monday

// series returns n points every step from t0 with values f(i).
func series(n int, step time.Duration, f func(i int) float64) ([]time.Time, []float64) {
	times := make([]time.Time, n)
	values := make([]float64, n)
	for i := range n {
		times[i] = t0.Add(time.Duration(i) * step)
		values[i] = f(i)
	}
	return times, values
}

// noisy returns a level-100 series with normal noise of standard deviation 5.
func noisy(n int, seed uint64) ([]time.Time, []float64) {
	r := rand.New(rand.NewPCG(seed, 1))
	return series(n, 5*time.Minute, func(int) float64 { return 100 + 5*r.NormFloat64() })
}

// daily returns a series of 5-minute points following a daily cycle with noise.
func daily(n int, seed uint64) ([]time.Time, []float64) {
	r := rand.New(rand.NewPCG(seed, 2))
	return series(n, 5*time.Minute, func(i int) float64 {
		return 100 + 50*math.Sin(2*math.Pi*float64(i)/288) + 3*r.NormFloat64()
	})
}

// fired returns the indices of the points whose rule fired.
func fired(scores []anomaly.Score) []int {
	var out []int
	for i, s := range scores {
		if s.Fired {
			out = append(out, i)
		}
	}
	return out
}

// allDetectors returns a fresh instance of every detector, by name.
func allDetectors() map[string]anomaly.Detector {
	return map[string]anomaly.Detector{
		"zscore":     anomaly.NewZScore(anomaly.RollingConfig{}),
		"mad":        anomaly.NewMAD(anomaly.RollingConfig{}),
		"seasonal":   anomaly.NewSeasonal(anomaly.SeasonalConfig{Season: anomaly.HourOfDay}),
		"levelshift": anomaly.NewLevelShift(anomaly.LevelShiftConfig{}),
		"knn":        anomaly.NewKNN(anomaly.KNNConfig{}),
		"velocity":   anomaly.NewVelocity(anomaly.VelocityConfig{}),
		"offhours":   anomaly.NewOffHours(anomaly.OffHoursConfig{}),
		"regularity": anomaly.NewRegularity(anomaly.RegularityConfig{}),
		"surprise":   anomaly.NewSurprise(anomaly.NewMAD(anomaly.RollingConfig{}), anomaly.SurpriseConfig{}),
		"ensemble":   ensembleAsDetector{anomaly.NewEnsemble(anomaly.EnsembleConfig{})},
	}
}

// ensembleAsDetector exposes an Ensemble's score, stat-less, as a Detector.
type ensembleAsDetector struct{ e *anomaly.Ensemble }

func (d ensembleAsDetector) Update(t time.Time, v float64) anomaly.Score {
	a := d.e.Update(t, v)
	return anomaly.Score{Value: a.Score, Stat: float64(a.Risk), Fired: a.Alarm}
}
