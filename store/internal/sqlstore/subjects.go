package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// PutSubject implements store.Store.
func (s *Store) PutSubject(ctx context.Context, params *store.PutSubjectParams) (*store.PutSubjectResult, error) {
	sub := params.Subject
	row := subjectRow{Subject: sub.Subject, Plan: sub.Plan, Anchor: micros(sub.Anchor), Cycle: sub.Cycle,
		TimeZone: sub.TimeZone, UpdatedAt: micros(sub.UpdatedAt)}
	err := s.inWriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewInsert().Model(&row).
			On("CONFLICT (subject) DO UPDATE").
			Set("plan = EXCLUDED.plan, anchor = EXCLUDED.anchor, cycle = EXCLUDED.cycle, time_zone = EXCLUDED.time_zone, updated_at = EXCLUDED.updated_at").
			Exec(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("put subject %q: %w", sub.Subject, err)
	}
	return &store.PutSubjectResult{Subject: sub}, nil
}

// GetSubject implements store.Store.
func (s *Store) GetSubject(ctx context.Context, params *store.GetSubjectParams) (*store.GetSubjectResult, error) {
	var row subjectRow
	err := s.db.NewSelect().Model(&row).Where("subject = ?", params.Subject).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("subject %q: %w", params.Subject, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get subject %q: %w", params.Subject, err)
	}
	return &store.GetSubjectResult{Subject: store.Subject{
		Subject: row.Subject, Plan: row.Plan, Anchor: fromMicros(row.Anchor), Cycle: row.Cycle,
		TimeZone: row.TimeZone, UpdatedAt: fromMicros(row.UpdatedAt),
	}}, nil
}
