package main

import (
	"time"

	"github.com/usagekit/usage/anomaly"
)

// nabDetector is a detector as the NAB harness runs it: a fresh instance per file,
// with the same configuration for every file. New is given the file's probationary
// period in rows, which NAB tells every detector; most ignore it.
type nabDetector struct {
	Name string
	New  func(probation int) anomaly.Detector
}

// score runs a fresh detector over the file's rows in file order.
func (d nabDetector) score(f nabFile) []float64 {
	det := d.New(nabProbation(len(f.Values)))
	out := make([]float64, len(f.Values))
	for i, v := range f.Values {
		out[i] = det.Update(f.Times[i], v).Value
	}
	return out
}

// nabDetectors lists the detectors the harness scores, in report order: each
// detector alone with its defaults (zscore is the seed's rule), one calibrated by a
// Surprise, the ensemble with its defaults, the ensemble as leave-one-category-out
// selection (-loco) configured it for six of NAB's seven held-out categories under
// the standard profile (scored here on all of NAB, so in sample), and the ensemble
// as DetectAnomalies configures it, which was chosen on generated tenants, not on
// NAB. NAB's timestamps carry no zone, so UTC is used.
func nabDetectors() []nabDetector {
	return []nabDetector{
		{"zscore", func(int) anomaly.Detector { return anomaly.NewZScore(anomaly.RollingConfig{}) }},
		{"mad", func(int) anomaly.Detector { return anomaly.NewMAD(anomaly.RollingConfig{}) }},
		{"seasonal", func(int) anomaly.Detector {
			return anomaly.NewSeasonal(anomaly.SeasonalConfig{Season: anomaly.HourOfDay, Depth: 48})
		}},
		{"levelshift", func(int) anomaly.Detector { return anomaly.NewLevelShift(anomaly.LevelShiftConfig{}) }},
		{"knn", func(int) anomaly.Detector { return anomaly.NewKNN(anomaly.KNNConfig{}) }},
		{"velocity", func(int) anomaly.Detector { return anomaly.NewVelocity(anomaly.VelocityConfig{}) }},
		{"offhours", func(int) anomaly.Detector { return anomaly.NewOffHours(anomaly.OffHoursConfig{}) }},
		{"regularity", func(int) anomaly.Detector { return anomaly.NewRegularity(anomaly.RegularityConfig{}) }},
		{"surprise_mad", func(int) anomaly.Detector {
			return anomaly.NewSurprise(anomaly.NewMAD(anomaly.RollingConfig{}), anomaly.SurpriseConfig{})
		}},
		{"ensemble", func(int) anomaly.Detector { return ensembleDetector{anomaly.NewEnsemble(anomaly.EnsembleConfig{})} }},
		nabCandidate{Name: "ensemble_nab", QuietDiv: 5,
			Config: anomaly.EnsembleConfig{AlarmAt: 0.82, Warmup: 60, KNNWarmup: 120}}.detector(),
		{"ensemble_usage", func(int) anomaly.Detector {
			return ensembleDetector{anomaly.NewEnsemble(anomaly.UsageEnsembleConfig())}
		}},
	}
}

// ensembleDetector scores with the ensemble's Alert: its score outside the quiet
// periods that follow alarms, so one incident counts once.
type ensembleDetector struct{ e *anomaly.Ensemble }

func (d ensembleDetector) Update(t time.Time, v float64) anomaly.Score {
	a := d.e.Update(t, v)
	return anomaly.Score{Value: a.Alert, Fired: a.Alarm}
}
