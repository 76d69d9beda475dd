package anomaly_test

import (
	"testing"

	"github.com/usagekit/usage/anomaly"
)

// BenchmarkEnsemble scores a year of 5-minute points (105,120) with the ensemble,
// one series per iteration, and reports points per second.
func BenchmarkEnsemble(b *testing.B) {
	times, values := daily(105120, 1)
	b.ReportAllocs()
	for b.Loop() {
		e := anomaly.NewEnsemble(anomaly.EnsembleConfig{})
		for i, v := range values {
			e.Update(times[i], v)
		}
	}
	b.ReportMetric(float64(len(values))*float64(b.N)/b.Elapsed().Seconds(), "points/s")
}

// BenchmarkDetectors scores the same year with each detector alone.
func BenchmarkDetectors(b *testing.B) {
	times, values := daily(105120, 1)
	for name := range allDetectors() {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d := allDetectors()[name]
				for i, v := range values {
					d.Update(times[i], v)
				}
			}
			b.ReportMetric(float64(len(values))*float64(b.N)/b.Elapsed().Seconds(), "points/s")
		})
	}
}
