package usage

import (
	"context"
	"errors"
	"fmt"

	"github.com/usagekit/usage/internal/scheduler"
	"github.com/usagekit/usage/store"
)

// maintenanceJobs lists the jobs Config.Maintenance asks for. A job of the Meter's
// own (alert delivery retries, say) is one more entry here.
func (m *Meter) maintenanceJobs() ([]scheduler.Job, error) {
	c := m.cfg.Maintenance
	var jobs []scheduler.Job
	if c.BillingSink != nil {
		jobs = append(jobs, scheduler.Job{Name: JobInvoices, Every: c.InvoicesEvery, Run: func(ctx context.Context) error {
			_, err := m.CloseInvoices(ctx, c.BillingSink, c.BillingGrace)
			return err
		}})
	}
	if !c.Retention.Off {
		jobs = append(jobs, scheduler.Job{Name: JobRetention, Every: c.Retention.Every, Run: func(ctx context.Context) error {
			_, err := m.ApplyRetention(ctx)
			return err
		}})
	}
	if c.Reports != nil {
		reports, err := NewReports(m, *c.Reports)
		if err != nil {
			return nil, fmt.Errorf("usage: Config.Maintenance.Reports: %w", err)
		}
		jobs = append(jobs, scheduler.Job{Name: JobReports, Every: c.ReportsEvery, Run: func(ctx context.Context) error {
			_, err := reports.RemoveExpired(ctx)
			return err
		}})
	}
	if c.ForecastEvery > 0 {
		jobs = append(jobs, scheduler.Job{Name: JobForecasts, Every: c.ForecastEvery, Run: m.forecastActive})
	}
	if c.DetectEvery > 0 {
		jobs = append(jobs, scheduler.Job{Name: JobAnomalies, Every: c.DetectEvery, Run: func(ctx context.Context) error {
			_, err := m.DetectAllAnomalies(ctx, c.DetectOptions)
			return err
		}})
	}
	for _, j := range c.Jobs {
		jobs = append(jobs, scheduler.Job{Name: j.Name, Every: j.Every, Run: j.Run})
	}
	return jobs, nil
}

// forecastActive stores a forecast of every series with usage in the forecast
// history window. Series that cannot be forecast (too little history, distinct
// counts) are skipped; other failures are returned joined, the first ten of them,
// after the remaining series were forecast.
func (m *Meter) forecastActive(ctx context.Context) error {
	opts, err := m.cfg.Maintenance.ForecastOptions.withDefaults()
	if err != nil {
		return err
	}
	var errs []error
	var after store.SeriesKey
	for {
		res, err := m.store.ListActiveSeries(ctx, &store.ListActiveSeriesParams{
			Since: m.now().Add(-opts.History), After: after, Limit: detectPageSize})
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("usage: list series with usage: %w", err))...)
		}
		for _, key := range res.Series {
			after = key
			met, ok := m.cfg.metrics[key.Metric]
			if !ok || met.Aggregation == AggregationUniqueCount {
				continue
			}
			_, err := m.Forecast(ctx, key.Subject, key.Metric, m.cfg.Maintenance.ForecastOptions)
			if err != nil && !errors.Is(err, ErrInsufficientHistory) && len(errs) < maxDetectErrors {
				errs = append(errs, err)
			}
			if ctx.Err() != nil {
				return errors.Join(append(errs, ctx.Err())...)
			}
		}
		if len(res.Series) < detectPageSize {
			return errors.Join(errs...)
		}
	}
}
