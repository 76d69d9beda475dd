package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// ClaimDeliveries does the work of Store.ClaimDeliveries.
func (s *engine) ClaimDeliveries(ctx context.Context, params *store.ClaimDeliveriesParams) (*store.ClaimDeliveriesResult, error) {
	now := micros(params.Now)
	var rows []alertView
	err := s.inWriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		rows = rows[:0]
		var ids []int64
		q := tx.NewSelect().Model((*deliveryRow)(nil)).Column("id").
			Where("state = ?", store.DeliveryPending).Where("next_at <= ?", now).
			Order("next_at", "id").Limit(int64(max(params.Limit, 1)))
		if s.rowLocks() {
			// Claimers in other processes take other rows instead of waiting.
			q = q.For("UPDATE SKIP LOCKED")
		}
		if err := q.Scan(ctx, &ids); err != nil || len(ids) == 0 {
			return err
		}
		if _, err := tx.NewUpdate().Model((*deliveryRow)(nil)).
			Set("attempts = attempts + 1").Set("next_at = ?", now+params.Lease.Microseconds()).
			Set("updated_at = ?", now).Where("id IN ?", bun.Tuple(ids)).Exec(ctx); err != nil {
			return err
		}
		return selectAlerts(tx, &rows).Where("d.id IN ?", bun.Tuple(ids)).OrderExpr("d.next_at, d.id").Scan(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	alerts, err := alertViews(rows)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return &store.ClaimDeliveriesResult{Alerts: alerts}, nil
}

// CompleteDelivery does the work of Store.CompleteDelivery.
func (s *engine) CompleteDelivery(ctx context.Context, params *store.CompleteDeliveryParams) (*store.CompleteDeliveryResult, error) {
	switch params.State {
	case store.DeliveryPending, store.DeliveryDelivered, store.DeliveryFailed:
	default:
		return nil, fmt.Errorf("complete delivery %d: invalid state %q", params.ID, params.State)
	}
	to := []byte("[]")
	if len(params.DeliveredTo) > 0 {
		var err error
		if to, err = json.Marshal(params.DeliveredTo); err != nil {
			return nil, fmt.Errorf("complete delivery %d: %w", params.ID, err)
		}
	}
	out := &store.CompleteDeliveryResult{}
	err := s.inWriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*deliveryRow)(nil)).
			Set("state = ?", params.State).Set("next_at = ?", micros(params.NextAt)).
			Set("delivered_to = ?", string(to)).Set("last_error = ?", params.Error).
			Set("updated_at = ?", micros(params.Now)).
			Where("id = ?", params.ID).Where("attempts = ?", params.Attempt).
			Where("state = ?", store.DeliveryPending).Exec(ctx)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		out.Completed = n == 1
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("complete delivery %d: %w", params.ID, err)
	}
	return out, nil
}
