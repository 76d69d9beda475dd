package sqlstore

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// defaultForecastLimit is the page size of ListForecasts when none is given.
const defaultForecastLimit = 100

// forecastRow is a row of usage_forecasts.
type forecastRow struct {
	bun.BaseModel `bun:"table:usage_forecasts"`

	ID          int64  `bun:"id,pk,autoincrement"`
	Subject     string `bun:"subject"`
	Metric      string `bun:"metric"`
	Model       string `bun:"model"`
	Step        string `bun:"step"`
	Horizon     int    `bun:"horizon"`
	GeneratedAt int64  `bun:"generated_at"`
	Payload     string `bun:"payload"`
}

func (r forecastRow) forecast() store.Forecast {
	return store.Forecast{ID: r.ID, Subject: r.Subject, Metric: r.Metric, Model: r.Model,
		Step: r.Step, Horizon: r.Horizon, GeneratedAt: fromMicros(r.GeneratedAt), Payload: r.Payload}
}

// InsertForecast does the work of Store.InsertForecast.
func (s *engine) InsertForecast(ctx context.Context, params *store.InsertForecastParams) (*store.InsertForecastResult, error) {
	f := params.Forecast
	row := forecastRow{Subject: f.Subject, Metric: f.Metric, Model: f.Model, Step: f.Step,
		Horizon: f.Horizon, GeneratedAt: micros(f.GeneratedAt), Payload: f.Payload}
	err := s.inWriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewInsert().Model(&row).ExcludeColumn("id").Returning("id").Scan(ctx, &row.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("insert forecast: %w", err)
	}
	return &store.InsertForecastResult{Forecast: row.forecast()}, nil
}

// ListForecasts does the work of Store.ListForecasts.
func (s *engine) ListForecasts(ctx context.Context, params *store.ListForecastsParams) (*store.ListForecastsResult, error) {
	limit := listLimit(params.Limit, defaultForecastLimit)
	var rows []forecastRow
	q := s.db.NewSelect().Model(&rows).Where("subject = ?", params.Subject)
	if params.Metric != "" {
		q = q.Where("metric = ?", params.Metric)
	}
	if err := q.Order("generated_at DESC", "id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list forecasts: %w", err)
	}
	out := &store.ListForecastsResult{Forecasts: make([]store.Forecast, len(rows))}
	for i, r := range rows {
		out.Forecasts[i] = r.forecast()
	}
	return out, nil
}
