package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// thresholdsRow is a row of usage_thresholds.
type thresholdsRow struct {
	bun.BaseModel `bun:"table:usage_thresholds"`

	Subject   string `bun:"subject,pk"`
	Metric    string `bun:"metric,pk"`
	Levels    string `bun:"levels"`
	UpdatedAt int64  `bun:"updated_at"`
}

// levelJSON is how a level is kept in usage_thresholds.levels.
type levelJSON struct {
	Threshold int64  `json:"threshold"`
	Severity  string `json:"severity"`
}

// SetThresholds does the work of Store.SetThresholds.
func (s *engine) SetThresholds(ctx context.Context, params *store.SetThresholdsParams) (*store.SetThresholdsResult, error) {
	levels := make([]levelJSON, len(params.Levels))
	for i, l := range params.Levels {
		levels[i] = levelJSON(l)
	}
	b, err := json.Marshal(levels)
	if err != nil {
		return nil, fmt.Errorf("set thresholds: %w", err)
	}
	row := thresholdsRow{Subject: params.Subject, Metric: params.Metric, Levels: string(b), UpdatedAt: micros(params.Now)}
	err = s.inWriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if params.Remove {
			_, err := tx.NewDelete().Model(&row).WherePK().Exec(ctx)
			return err
		}
		_, err := tx.NewInsert().Model(&row).
			On("CONFLICT (subject, metric) DO UPDATE").
			Set("levels = EXCLUDED.levels, updated_at = EXCLUDED.updated_at").Exec(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("set thresholds of %q %s: %w", params.Subject, params.Metric, err)
	}
	return &store.SetThresholdsResult{}, nil
}

// ListThresholds does the work of Store.ListThresholds.
func (s *engine) ListThresholds(ctx context.Context, params *store.ListThresholdsParams) (*store.ListThresholdsResult, error) {
	var rows []thresholdsRow
	q := s.db.NewSelect().Model(&rows).Order("subject", "metric")
	if params.Subject != "" {
		q = q.Where("subject = ?", params.Subject)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list thresholds of %q: %w", params.Subject, err)
	}
	out := &store.ListThresholdsResult{Thresholds: make([]store.SubjectThresholds, len(rows))}
	for i, r := range rows {
		var levels []levelJSON
		if err := json.Unmarshal([]byte(r.Levels), &levels); err != nil {
			return nil, fmt.Errorf("thresholds of %q %s: %w", r.Subject, r.Metric, err)
		}
		st := store.SubjectThresholds{Subject: r.Subject, Metric: r.Metric, UpdatedAt: fromMicros(r.UpdatedAt),
			Levels: make([]store.AlertLevel, len(levels))}
		for j, l := range levels {
			st.Levels[j] = store.AlertLevel(l)
		}
		out.Thresholds[i] = st
	}
	return out, nil
}
