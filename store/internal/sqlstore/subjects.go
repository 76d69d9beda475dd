package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/usagekit/usage/store"
)

// GetSubject does the work of Store.GetSubject.
func (s *engine) GetSubject(ctx context.Context, params *store.GetSubjectParams) (*store.GetSubjectResult, error) {
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
