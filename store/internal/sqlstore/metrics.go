package sqlstore

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

type metricRow struct {
	bun.BaseModel `bun:"table:usage_metrics"`
	Metric        string `bun:"metric,pk"`
	Scale         int    `bun:"scale"`
}

// RegisterMetrics records metric scales; see store.Store.
func (s *engine) RegisterMetrics(ctx context.Context, params *store.RegisterMetricsParams) (*store.RegisterMetricsResult, error) {
	res := &store.RegisterMetricsResult{Stored: make([]store.MetricScale, len(params.Metrics))}
	if len(params.Metrics) == 0 {
		return res, nil
	}
	rows := make([]metricRow, len(params.Metrics))
	keys := make([]string, len(params.Metrics))
	for i, m := range params.Metrics {
		rows[i] = metricRow{Metric: m.Metric, Scale: m.Scale}
		keys[i] = m.Metric
	}
	err := s.inWriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// The first registration of a metric wins; a concurrent one with another
		// scale reads the winner's.
		if _, err := tx.NewInsert().Model(&rows).On("CONFLICT (metric) DO NOTHING").Exec(ctx); err != nil {
			return err
		}
		var stored []metricRow
		if err := tx.NewSelect().Model(&stored).Where("metric IN ?", bun.Tuple(keys)).Scan(ctx); err != nil {
			return err
		}
		scales := make(map[string]int, len(stored))
		for _, r := range stored {
			scales[r.Metric] = r.Scale
		}
		for i, m := range params.Metrics {
			res.Stored[i] = store.MetricScale{Metric: m.Metric, Scale: scales[m.Metric]}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	return res, nil
}
