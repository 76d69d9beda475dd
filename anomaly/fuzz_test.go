package anomaly_test

import (
	"encoding/binary"
	"math"
	"testing"
	"time"

	"github.com/usagekit/usage/anomaly"
)

// FuzzDetectors feeds every detector arbitrary values (NaN, ±Inf, huge, tiny,
// repeated) at arbitrary time steps, including steps back, and checks that nothing
// panics and every score is in [0, 1] and never NaN.
func FuzzDetectors(f *testing.F) {
	seed := func(vals ...float64) []byte {
		var b []byte
		for _, v := range vals {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
		return b
	}
	f.Add(seed(1, 2, 3, math.NaN(), 4, math.Inf(1), 5, math.Inf(-1)), int64(300))
	f.Add(seed(1e308, -1e308, 1e308, 0, 5e-324, 1e308), int64(60))
	f.Add(seed(0, 0, 0, 0, 0, 0, 0, 1), int64(0))
	f.Add(seed(1, 1, 1, 1, 1, 1, 1, 1, 1, 1), int64(-3600))
	f.Fuzz(func(t *testing.T, data []byte, stepSeconds int64) {
		var vals []float64
		for len(data) >= 8 {
			vals = append(vals, math.Float64frombits(binary.LittleEndian.Uint64(data)))
			data = data[8:]
		}
		// Repeat the values so that detectors get past their warm-up.
		n := len(vals)
		for n > 0 && len(vals) < 700 {
			vals = append(vals, vals[len(vals)%n]*float64(1+len(vals)%3))
		}
		step := time.Duration(stepSeconds%86400) * time.Second
		check := func(name string, i int, v float64) {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("%s: point %d: value %v outside [0, 1]", name, i, v)
			}
		}
		dets := smallDetectors()
		e := anomaly.NewEnsemble(anomaly.EnsembleConfig{})
		at := t0
		for i, v := range vals {
			at = at.Add(step)
			for name, d := range dets {
				check(name, i, d.Update(at, v).Value)
			}
			a := e.Update(at, v)
			check("ensemble score", i, a.Score)
			check("ensemble alert", i, a.Alert)
			if a.Risk < 0 || a.Risk > 100 {
				t.Fatalf("ensemble: point %d: risk %d", i, a.Risk)
			}
			for _, r := range a.Reasons {
				check("reason "+r.Detector, i, r.Value)
			}
		}
	})
}

// smallDetectors returns every detector with short windows, so that fuzz inputs get
// past the warm-up quickly.
func smallDetectors() map[string]anomaly.Detector {
	return map[string]anomaly.Detector{
		"zscore":     anomaly.NewZScore(anomaly.RollingConfig{Window: 20, MinPoints: 5}),
		"mad":        anomaly.NewMAD(anomaly.RollingConfig{Window: 20, MinPoints: 5}),
		"seasonal":   anomaly.NewSeasonal(anomaly.SeasonalConfig{Depth: 4, MinPoints: 2}),
		"levelshift": anomaly.NewLevelShift(anomaly.LevelShiftConfig{Recent: 3, Reference: 20, MinPoints: 5}),
		"knn":        anomaly.NewKNN(anomaly.KNNConfig{Dim: 4, Segments: 2, History: 30, K: 3, MinPoints: 5}),
		"velocity":   anomaly.NewVelocity(anomaly.VelocityConfig{Interval: time.Minute}),
		"offhours":   anomaly.NewOffHours(anomaly.OffHoursConfig{Learn: time.Hour}),
		"regularity": anomaly.NewRegularity(anomaly.RegularityConfig{Window: 5}),
		"surprise": anomaly.NewSurprise(anomaly.NewMAD(anomaly.RollingConfig{Window: 20, MinPoints: 5}),
			anomaly.SurpriseConfig{Short: 3, History: 50, MinPoints: 10}),
	}
}
