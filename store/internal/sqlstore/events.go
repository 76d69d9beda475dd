package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// ListEvents does the work of Store.ListEvents. No index of usage_events begins
// with the subject (see migration 028): a subject's events are found through the
// (series, at) index, in the series of each metric the subject has a quota row of,
// which every stored event has. The metrics and the events are read in one
// snapshot, so a metric whose first event is stored between the two reads is not
// passed over.
func (s *engine) ListEvents(ctx context.Context, params *store.ListEventsParams) (*store.ListEventsResult, error) {
	limit := listLimit(params.Limit, defaultListLimit)
	var rows []eventRow
	snapshot := &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	err := s.db.RunInTx(ctx, snapshot, func(ctx context.Context, tx bun.Tx) error {
		var metrics []string
		if err := tx.NewSelect().TableExpr("usage_quotas").ColumnExpr("DISTINCT metric").
			Where("subject = ?", params.Subject).Scan(ctx, &metrics); err != nil {
			return err
		}
		if len(metrics) == 0 {
			return nil
		}
		series := make([]int64, len(metrics))
		for i, m := range metrics {
			series[i] = seriesOf(params.Subject, m)
		}
		// The unary plus keeps SQLite from walking the whole table in the order
		// of seq, its rowid, for the few events of a subject among many.
		return tx.NewSelect().Model(&rows).
			Where("series IN ?", bun.Tuple(series)).
			Where("subject = ?", params.Subject).
			Where("+seq > ?", params.AfterSeq).
			OrderExpr("+seq").Limit(int64(limit)).Scan(ctx)
	})
	if err != nil {
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
