package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/usagekit/usage/store"
)

// ListEvents does the work of Store.ListEvents.
func (s *engine) ListEvents(ctx context.Context, params *store.ListEventsParams) (*store.ListEventsResult, error) {
	limit := listLimit(params.Limit, defaultListLimit)
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

// ListEventTimes does the work of Store.ListEventTimes.
func (s *engine) ListEventTimes(ctx context.Context, params *store.ListEventTimesParams) (*store.ListEventTimesResult, error) {
	limit := listLimit(params.Limit, defaultListLimit)
	var ats []int64
	if err := s.db.NewSelect().Model((*eventRow)(nil)).Column("at").
		Where("series = ?", seriesOf(params.Subject, params.Metric)).
		Where("subject = ?", params.Subject).
		Where("metric = ?", params.Metric).
		Where("at >= ?", micros(params.From)).
		Where("at < ?", micros(params.To)).
		Order("at DESC").Limit(int64(limit)).Scan(ctx, &ats); err != nil {
		return nil, fmt.Errorf("list event times: %w", err)
	}
	out := &store.ListEventTimesResult{Times: make([]time.Time, len(ats))}
	for i, at := range ats {
		out.Times[len(ats)-1-i] = fromMicros(at)
	}
	return out, nil
}
