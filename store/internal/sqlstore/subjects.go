package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

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
	return &store.GetSubjectResult{Subject: row.subject()}, nil
}

// GetSubjects does the work of Store.GetSubjects, in chunks of chunkSize subjects.
func (s *engine) GetSubjects(ctx context.Context, params *store.GetSubjectsParams) (*store.GetSubjectsResult, error) {
	out := &store.GetSubjectsResult{}
	for chunk := range slices.Chunk(params.Subjects, chunkSize) {
		var rows []subjectRow
		if err := s.db.NewSelect().Model(&rows).Where("subject IN ?", bun.Tuple(chunk)).Scan(ctx); err != nil {
			return nil, fmt.Errorf("get %d subjects: %w", len(chunk), err)
		}
		for _, row := range rows {
			out.Subjects = append(out.Subjects, row.subject())
		}
	}
	return out, nil
}
