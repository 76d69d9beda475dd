package sqlstore

import (
	"context"
	"fmt"

	"github.com/usagekit/usage/store"
)

// defaultListLimit is the page size of ListEvents when none is given.
const defaultListLimit = 1000

// ListEvents implements store.Store.
func (s *Store) ListEvents(ctx context.Context, params *store.ListEventsParams) (*store.ListEventsResult, error) {
	limit := params.Limit
	if limit <= 0 {
		limit = defaultListLimit
	}
	var rows []eventRow
	if err := s.db.NewSelect().Model(&rows).
		Where("subject = ?", params.Subject).
		Where("seq > ?", params.AfterSeq).
		Order("seq").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	out := &store.ListEventsResult{Events: make([]store.Event, len(rows))}
	for i, r := range rows {
		ev, err := r.event()
		if err != nil {
			return nil, fmt.Errorf("list events: event %s: %w", r.EventID, err)
		}
		out.Events[i] = ev
	}
	return out, nil
}
