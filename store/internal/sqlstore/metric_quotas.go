package sqlstore

import (
	"context"
	"fmt"

	"github.com/usagekit/usage/store"
)

// ListMetricQuotas does the work of Store.ListMetricQuotas.
func (s *engine) ListMetricQuotas(ctx context.Context, params *store.ListMetricQuotasParams) (*store.ListMetricQuotasResult, error) {
	limit := listLimit(params.Limit, defaultListLimit)
	at := micros(params.At)
	var rows []quotaRow
	q := s.db.NewSelect().Model(&rows).
		Where("metric = ?", params.Metric).
		Where("period_start <= ?", at).
		Where("period_end > ?", at)
	if params.OverLimit {
		q = q.Where("NOT unlimited").Where("used > quota_limit")
	}
	switch a := params.After; {
	case a != nil && params.ByUsage:
		q = q.Where("(used < ? OR (used = ? AND subject > ?))", a.Used, a.Used, a.Subject)
	case a != nil:
		q = q.Where("subject > ?", a.Subject)
	}
	if params.ByUsage {
		q = q.Order("used DESC")
	}
	if err := q.Order("subject").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list quotas of metric %s: %w", params.Metric, err)
	}
	out := &store.ListMetricQuotasResult{Quotas: make([]store.Quota, len(rows))}
	for i, r := range rows {
		out.Quotas[i] = r.quota()
	}
	return out, nil
}
