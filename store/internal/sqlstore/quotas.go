package sqlstore

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// GetQuotas does the work of Store.GetQuotas.
func (s *engine) GetQuotas(ctx context.Context, params *store.GetQuotasParams) (*store.GetQuotasResult, error) {
	var rows []quotaRow
	at := micros(params.At)
	q := s.db.NewSelect().Model(&rows).
		Where("subject = ?", params.Subject).
		Where("period_start <= ?", at).
		Where("period_end > ?", at).
		Order("metric")
	if len(params.Metrics) > 0 {
		q = q.Where("metric IN ?", bun.Tuple(params.Metrics))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("get quotas: %w", err)
	}
	out := &store.GetQuotasResult{Quotas: make([]store.Quota, len(rows))}
	for i, r := range rows {
		out.Quotas[i] = r.quota()
	}
	return out, nil
}
