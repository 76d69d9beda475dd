package usage_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/report"
)

func TestMaintenanceRunsTheForecastAnomalyAndReportJobs(t *testing.T) {
	eachMeter(t, func(t *testing.T, tm *testMeter) {
		ctx := context.Background()
		now := tm.clock.Now()
		for day := range 14 {
			at := now.Add(-time.Duration(day) * 24 * time.Hour)
			track(t, tm.meter, usage.Event{Subject: "acme", Metric: "credits", Value: float64(day%3 + 1), Time: at})
		}
		reportsCfg := usage.ReportsConfig{Dir: t.TempDir(), TTL: time.Hour}
		cfg := e2eConfig(tm.clock.Now)
		cfg.Maintenance = usage.MaintenanceConfig{ForecastEvery: 24 * time.Hour, DetectEvery: time.Hour, Reports: &reportsCfg}
		m := tm.instance(t, cfg)
		reports, err := usage.NewReports(m, reportsCfg)
		require.NoError(t, err)
		saved, err := reports.Save(ctx, usage.ReportRequest{Type: report.TypeSummary, Format: report.CSV, Subject: "acme"})
		require.NoError(t, err)

		tm.clock.Set(now.Add(2 * time.Hour)) // past the report's expiry
		runs, err := m.RunMaintenance(ctx)
		require.NoError(t, err)
		var jobs []string
		for _, r := range runs {
			jobs = append(jobs, r.Job)
		}
		slices.Sort(jobs)
		require.Equal(t, []string{usage.JobAnomalies, usage.JobForecasts, usage.JobReports, usage.JobRetention}, jobs)

		forecasts, err := m.Forecasts(ctx, "acme", "credits", 10)
		require.NoError(t, err)
		require.Len(t, forecasts, 1, "the active series got a forecast")
		records, err := reports.List(ctx)
		require.NoError(t, err)
		require.Len(t, records, 1)
		require.Equal(t, saved.ID, records[0].ID)
		require.False(t, records[0].RemovedAt.IsZero(), "the expired report was removed")
	})
}
