package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// planChangeRow is a row of usage_plan_changes: the plan history of a subject.
type planChangeRow struct {
	bun.BaseModel `bun:"table:usage_plan_changes"`

	ID      int64  `bun:"id,pk,autoincrement"`
	Subject string `bun:"subject"`
	Plan    string `bun:"plan"`
	At      int64  `bun:"at"`
}

// adjustmentRow is a row of usage_quota_adjustments.
type adjustmentRow struct {
	bun.BaseModel `bun:"table:usage_quota_adjustments"`

	ID          int64  `bun:"id,pk,autoincrement"`
	Subject     string `bun:"subject"`
	Metric      string `bun:"metric"`
	PeriodStart int64  `bun:"period_start"`
	Kind        string `bun:"kind"`
	Amount      int64  `bun:"amount"`
	Reason      string `bun:"reason"`
	Actor       string `bun:"actor"`
	CreatedAt   int64  `bun:"created_at"`
}

func (r adjustmentRow) adjustment() store.Adjustment {
	return store.Adjustment{ID: r.ID, Subject: r.Subject, Metric: r.Metric,
		PeriodStart: fromMicros(r.PeriodStart), Kind: store.AdjustmentKind(r.Kind), Amount: r.Amount,
		Reason: r.Reason, Actor: r.Actor, CreatedAt: fromMicros(r.CreatedAt)}
}

// ChangePlan does the work of Store.ChangePlan.
func (s *engine) ChangePlan(ctx context.Context, params *store.ChangePlanParams) (*store.ChangePlanResult, error) {
	sub := params.Subject
	at := micros(params.At)
	var out []store.Quota
	err := s.inWriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		out = nil
		row := subjectRow{Subject: sub.Subject, Plan: sub.Plan, Anchor: micros(sub.Anchor), Cycle: sub.Cycle,
			TimeZone: sub.TimeZone, UpdatedAt: micros(sub.UpdatedAt)}
		if _, err := tx.NewInsert().Model(&row).
			On("CONFLICT (subject) DO UPDATE").
			Set("plan = EXCLUDED.plan, anchor = EXCLUDED.anchor, cycle = EXCLUDED.cycle, time_zone = EXCLUDED.time_zone, updated_at = EXCLUDED.updated_at").
			Exec(ctx); err != nil {
			return fmt.Errorf("store assignment: %w", err)
		}
		change := planChangeRow{Subject: sub.Subject, Plan: sub.Plan, At: at}
		if _, err := tx.NewInsert().Model(&change).Exec(ctx); err != nil {
			return fmt.Errorf("record plan change: %w", err)
		}
		var rows []quotaRow
		q := tx.NewSelect().Model(&rows).
			Where("subject = ?", sub.Subject).Where("period_start <= ?", at).Where("period_end > ?", at).
			Order("id")
		if s.rowLocks() {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			return fmt.Errorf("lock current quotas: %w", err)
		}
		for _, r := range rows {
			l, ok := params.Limits[r.Metric]
			if ok {
				granted, err := grantedTo(ctx, tx, r.Subject, r.PeriodStart)
				if err != nil {
					return err
				}
				limit, ok := store.AddQuantities(l.Limit, granted[r.Metric])
				if !ok {
					return fmt.Errorf("quota %s: limit plus grants: %w", r.Metric, store.ErrOverflow)
				}
				r.Limit, r.Unlimited, r.AllowOverage, r.UpdatedAt = limit, l.Unlimited, l.AllowOverage, at
				if _, err := tx.NewUpdate().Model(&r).
					Column("quota_limit", "unlimited", "allow_overage", "updated_at").
					WherePK().Exec(ctx); err != nil {
					return fmt.Errorf("update quota %s: %w", r.Metric, err)
				}
			}
			out = append(out, r.quota())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("change plan of %q: %w", sub.Subject, err)
	}
	return &store.ChangePlanResult{Quotas: out}, nil
}

// AdjustQuota does the work of Store.AdjustQuota.
func (s *engine) AdjustQuota(ctx context.Context, params *store.AdjustQuotaParams) (*store.AdjustQuotaResult, error) {
	spec := params.Quota
	now := micros(params.Now)
	var res *store.AdjustQuotaResult
	err := s.inWriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		row := newQuotaRow(store.Quota{
			Subject: params.Subject, Metric: params.Metric, PeriodStart: spec.PeriodStart,
			PeriodEnd: spec.PeriodEnd, Aggregation: spec.Aggregation, Limit: spec.Limit,
			Unlimited: spec.Unlimited, AllowOverage: spec.AllowOverage, UpdatedAt: params.Now,
		})
		if _, err := tx.NewInsert().Model(&row).On("CONFLICT (id) DO NOTHING").Exec(ctx); err != nil {
			return fmt.Errorf("create quota row: %w", err)
		}
		r, err := s.lockQuota(ctx, tx, row.ID)
		if err != nil {
			return err
		}
		granted, err := grantedTo(ctx, tx, r.Subject, r.PeriodStart)
		if err != nil {
			return err
		}
		amount := params.Amount
		if params.Kind == store.AdjustmentReset {
			amount = max(r.Used-granted[r.Metric], 0)
		}
		limit, ok := store.AddQuantities(r.Limit, amount)
		if !ok {
			return fmt.Errorf("grant: %w", store.ErrOverflow)
		}
		adj := adjustmentRow{Subject: r.Subject, Metric: r.Metric, PeriodStart: r.PeriodStart,
			Kind: string(params.Kind), Amount: amount, Reason: params.Reason, Actor: params.Actor, CreatedAt: now}
		if _, err := tx.NewInsert().Model(&adj).Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("record adjustment: %w", err)
		}
		r.Limit, r.UpdatedAt = limit, now
		if _, err := tx.NewUpdate().Model(&r).Column("quota_limit", "updated_at").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("update quota: %w", err)
		}
		if err := rearmAlerts(ctx, tx, r.quota()); err != nil {
			return err
		}
		res = &store.AdjustQuotaResult{Adjustment: adj.adjustment(), Quota: r.quota()}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("adjust quota %s of %q: %w", params.Metric, params.Subject, err)
	}
	return res, nil
}

// lockQuota reads one quota row, locked for the transaction.
func (s *engine) lockQuota(ctx context.Context, tx bun.Tx, id string) (quotaRow, error) {
	var r quotaRow
	q := tx.NewSelect().Model(&r).Where("id = ?", id)
	if s.rowLocks() {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return r, fmt.Errorf("quota row: %w", store.ErrNotFound)
		}
		return r, fmt.Errorf("lock quota row: %w", err)
	}
	return r, nil
}

// grantedTo sums the adjustments of a subject's period by metric, in micro-units.
func grantedTo(ctx context.Context, db bun.IDB, subject string, periodStart int64) (map[string]int64, error) {
	var sums []struct {
		Metric string `bun:"metric"`
		Amount int64  `bun:"amount"`
	}
	if err := db.NewSelect().Model((*adjustmentRow)(nil)).
		ColumnExpr("metric, SUM(amount) AS amount").
		Where("subject = ?", subject).Where("period_start = ?", periodStart).
		Group("metric").Scan(ctx, &sums); err != nil {
		return nil, fmt.Errorf("read grants: %w", err)
	}
	out := make(map[string]int64, len(sums))
	for _, s := range sums {
		out[s.Metric] = s.Amount
	}
	return out, nil
}
