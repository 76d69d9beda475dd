package sqlstore

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// rearmAlerts lets a quota's alerts fire again after a correction or an
// adjustment (grant, reset) left its usage below them: a threshold alert whose
// level, at the row's limit now, usage is below, and the refusal alert once usage is
// below the limit. Rearming sets an alert's arm to its ID, which frees its key (see
// raiseAlert) while the alert stays listed. It runs under the quota row's lock,
// in the transaction that changed the row, so no batch can raise an alert between
// the change and the rearming.
func rearmAlerts(ctx context.Context, tx bun.Tx, q store.Quota) error {
	var rows []alertRow
	if err := tx.NewSelect().Model(&rows).Column("id", "kind", "threshold").
		Where("subject = ?", q.Subject).Where("metric = ?", q.Metric).
		Where("period_start = ?", micros(q.PeriodStart)).
		Where("kind IN ?", bun.Tuple([]string{store.AlertThreshold, store.AlertRefusal})).
		Where("arm = 0").Scan(ctx); err != nil {
		return fmt.Errorf("read alerts to rearm: %w", err)
	}
	var ids []int64
	for _, r := range rows {
		below := q.Used < q.Limit
		if r.Kind == store.AlertThreshold {
			at, ok := alertLevel(q.Limit, r.Threshold)
			below = !ok || q.Used < at
		}
		if below {
			ids = append(ids, r.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	if _, err := tx.NewUpdate().Model((*alertRow)(nil)).Set("arm = id").
		Where("id IN ?", bun.Tuple(ids)).Exec(ctx); err != nil {
		return fmt.Errorf("rearm alerts: %w", err)
	}
	return nil
}
