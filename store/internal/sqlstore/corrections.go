package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// correctionRow is a row of usage_corrections: a compensating entry for an event.
type correctionRow struct {
	bun.BaseModel `bun:"table:usage_corrections"`

	Seq          int64  `bun:"seq,pk,autoincrement"`
	Subject      string `bun:"subject"`
	CorrectionID string `bun:"correction_id"`
	EventID      string `bun:"event_id"`
	Metric       string `bun:"metric"`
	PeriodStart  int64  `bun:"period_start"`
	Kind         string `bun:"kind"`
	OldValue     int64  `bun:"old_value"`
	NewValue     int64  `bun:"new_value"`
	Reason       string `bun:"reason"`
	Actor        string `bun:"actor"`
	CreatedAt    int64  `bun:"created_at"`
}

func (r correctionRow) correction() store.Correction {
	return store.Correction{Seq: r.Seq, ID: r.CorrectionID, Subject: r.Subject, EventID: r.EventID,
		Metric: r.Metric, PeriodStart: fromMicros(r.PeriodStart), Kind: store.CorrectionKind(r.Kind),
		OldValue: r.OldValue, NewValue: r.NewValue, Reason: r.Reason, Actor: r.Actor,
		CreatedAt: fromMicros(r.CreatedAt)}
}

// CorrectEvent does the work of Store.CorrectEvent.
func (s *engine) CorrectEvent(ctx context.Context, params *store.CorrectEventParams) (*store.CorrectEventResult, error) {
	c := params.Correction
	var res *store.CorrectEventResult
	err := s.inWriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var prev correctionRow
		err := tx.NewSelect().Model(&prev).
			Where("subject = ?", c.Subject).Where("correction_id = ?", c.ID).Scan(ctx)
		if err == nil {
			q, err := s.lockQuota(ctx, tx, quotaID(prev.Subject, prev.Metric, prev.PeriodStart))
			if err != nil {
				return err
			}
			res = &store.CorrectEventResult{Correction: prev.correction(), Replayed: true, Quota: q.quota(), UsedBefore: q.Used}
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read correction: %w", err)
		}
		var evRow eventRow
		if err := tx.NewSelect().Model(&evRow).
			Where("subject = ?", c.Subject).Where("event_id = ?", c.EventID).Scan(ctx); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("event %q: %w", c.EventID, store.ErrNotFound)
			}
			return fmt.Errorf("read event: %w", err)
		}
		ev, err := evRow.event()
		if err != nil {
			return fmt.Errorf("read event %q: %w", c.EventID, err)
		}
		qid := quotaID(ev.Subject, ev.Metric, evRow.PeriodStart)
		row, err := s.lockQuota(ctx, tx, qid)
		if err != nil {
			return err
		}
		latest, err := latestCorrections(ctx, tx, ev.Subject, ev.Metric, evRow.PeriodStart, ev.ID)
		if err != nil {
			return err
		}
		current := ev.Value
		if l, ok := latest[ev.ID]; ok {
			if store.CorrectionKind(l.Kind) == store.CorrectionVoid {
				return fmt.Errorf("event %q: %w", c.EventID, store.ErrVoided)
			}
			current = l.NewValue
		}
		newValue, distinctProperty, err := params.Check(ev)
		if err != nil {
			return err
		}
		void := c.Kind == store.CorrectionVoid
		if void {
			newValue = 0
		}
		q := row.quota()
		next, err := s.corrected(ctx, tx, q, ev, current, newValue, void, distinctProperty)
		if err != nil {
			return err
		}
		if next.Refuses(q.Used) {
			res = &store.CorrectEventResult{Refused: true, Quota: q, UsedBefore: q.Used}
			return nil
		}
		next.UpdatedAt = params.Now
		cr := correctionRow{Subject: c.Subject, CorrectionID: c.ID, EventID: c.EventID, Metric: ev.Metric,
			PeriodStart: evRow.PeriodStart, Kind: string(c.Kind), OldValue: current, NewValue: newValue,
			Reason: c.Reason, Actor: c.Actor, CreatedAt: micros(params.Now)}
		if _, err := tx.NewInsert().Model(&cr).Returning("seq").Exec(ctx); err != nil {
			return fmt.Errorf("record correction: %w", err)
		}
		nr := newQuotaRow(next)
		if _, err := tx.NewUpdate().Model(&nr).
			Column("used", "count", "total", "last_at", "updated_at").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("update quota: %w", err)
		}
		if err := rearmAlerts(ctx, tx, next); err != nil {
			return err
		}
		if row.Hour.Count > 0 && row.Hour.Start == hourOf(micros(ev.Time)) {
			// The event's hour is open in its quota row: it is closed, to be adjusted.
			if err := s.closeOpenHours(ctx, tx, "id = ?", qid); err != nil {
				return err
			}
		}
		if err := adjustRollup(ctx, tx, ev, newValue-current, void); err != nil {
			return err
		}
		res = &store.CorrectEventResult{Correction: cr.correction(), Quota: next, UsedBefore: q.Used}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("correct event %q of %q: %w", c.EventID, c.Subject, err)
	}
	return res, nil
}

// corrected returns the quota q with event ev's value changed from current to
// newValue, or taken out when void. A sum or count changes by the difference; the
// other aggregations cannot be undone that way and are recomputed from the period's
// events as corrected (for unique_count, its distinct values are rewritten too).
func (s *engine) corrected(ctx context.Context, tx bun.Tx, q store.Quota, ev store.Event, current, newValue int64, void bool, distinctProperty string) (store.Quota, error) {
	next := q
	delta := newValue - current
	switch q.Aggregation {
	case store.AggregationSum, store.AggregationCount:
		total, ok := store.AddQuantities(q.Total, delta)
		if !ok {
			return q, store.ErrOverflow
		}
		next.Total = total
		if void {
			next.Count--
		}
		next.Used = next.Total
		if q.Aggregation == store.AggregationCount {
			next.Used = next.Count * store.MicrosPerUnit
		}
		return next, nil
	}
	return s.recompute(ctx, tx, q, override{eventID: ev.ID, value: newValue, void: void}, distinctProperty)
}

// override is the correction being made, applied on top of the stored ones.
type override struct {
	eventID string
	value   int64
	void    bool
}

// recompute replays the events of q's period in storage order, with their
// corrections and o applied, into a fresh quota with q's limit.
func (s *engine) recompute(ctx context.Context, tx bun.Tx, q store.Quota, o override, distinctProperty string) (store.Quota, error) {
	ps := micros(q.PeriodStart)
	var rows []eventRow
	// An event's time lies in its period, so the (series, at) index finds the
	// period's events from its start on.
	if err := tx.NewSelect().Model(&rows).Where("series = ?", seriesOf(q.Subject, q.Metric)).
		Where("subject = ?", q.Subject).Where("metric = ?", q.Metric).Where("at >= ?", ps).
		Where("period_start = ?", ps).
		Order("seq").Scan(ctx); err != nil {
		return q, fmt.Errorf("read the period's events: %w", err)
	}
	latest, err := latestCorrections(ctx, tx, q.Subject, q.Metric, ps, "")
	if err != nil {
		return q, err
	}
	next := q
	next.Used, next.Count, next.Total, next.LastAt = 0, 0, 0, time.Time{}
	seen := map[string]bool{}
	var distinct []distinctRow
	qid := quotaID(q.Subject, q.Metric, ps)
	for _, r := range rows {
		value, void := r.Value, false
		if l, ok := latest[r.EventID]; ok {
			value, void = l.NewValue, store.CorrectionKind(l.Kind) == store.CorrectionVoid
		}
		if r.EventID == o.eventID {
			value, void = o.value, o.void
		}
		if void {
			continue
		}
		ev, err := r.event()
		if err != nil {
			return q, fmt.Errorf("read event %s: %w", r.EventID, err)
		}
		dv := ev.User
		if distinctProperty != "" {
			dv = ev.Properties[distinctProperty]
		}
		isNew := q.Aggregation == store.AggregationUniqueCount && !seen[dv]
		if isNew {
			seen[dv] = true
			distinct = append(distinct, distinctRow{QuotaID: qid, Value: dv})
		}
		if next, err = next.Apply(value, ev.Time, isNew); err != nil {
			return q, err
		}
	}
	if q.Aggregation == store.AggregationUniqueCount {
		if _, err := tx.NewDelete().Model((*distinctRow)(nil)).Where("quota_id = ?", qid).Exec(ctx); err != nil {
			return q, fmt.Errorf("rewrite distinct values: %w", err)
		}
		if err := insertDistinct(ctx, tx, distinct); err != nil {
			return q, err
		}
	}
	return next, nil
}

// latestCorrections returns the latest correction of each corrected event of a
// quota's period (of one event, when eventID is set), by event ID.
func latestCorrections(ctx context.Context, db bun.IDB, subject, metric string, periodStart int64, eventID string) (map[string]correctionRow, error) {
	var rows []correctionRow
	q := db.NewSelect().Model(&rows).
		Where("subject = ?", subject).Where("metric = ?", metric).Where("period_start = ?", periodStart).
		Order("seq")
	if eventID != "" {
		q = q.Where("event_id = ?", eventID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("read corrections: %w", err)
	}
	out := make(map[string]correctionRow, len(rows))
	for _, r := range rows {
		out[r.EventID] = r
	}
	return out, nil
}

// adjustRollup changes the hourly rollups of a corrected event (over all dimension
// values, and of its own) by the difference of its value, and their counts by one
// for a void. Minimum and maximum keep the values
// seen: a rollup records what arrived.
func adjustRollup(ctx context.Context, tx bun.Tx, ev store.Event, delta int64, void bool) error {
	count := int64(0)
	if void {
		count = -1
	}
	bucket := hourOf(micros(ev.Time))
	if _, err := tx.NewUpdate().Model((*rollupRow)(nil)).
		Set("total = total + ?", delta).Set("count = count + ?", count).
		Where("subject = ?", ev.Subject).Where("metric = ?", ev.Metric).
		Where("granularity = ?", granularityHour).Where("bucket_start = ?", bucket).
		Exec(ctx); err != nil {
		return fmt.Errorf("update rollup: %w", err)
	}
	return adjustDimensionRollup(ctx, tx, ev, bucket, delta, count)
}

// ListCorrections does the work of Store.ListCorrections.
func (s *engine) ListCorrections(ctx context.Context, params *store.ListCorrectionsParams) (*store.ListCorrectionsResult, error) {
	limit := listLimit(params.Limit, defaultListLimit)
	var rows []correctionRow
	if err := s.db.NewSelect().Model(&rows).
		Where("subject = ?", params.Subject).Where("seq > ?", params.AfterSeq).
		Order("seq").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list corrections: %w", err)
	}
	out := &store.ListCorrectionsResult{Corrections: make([]store.Correction, len(rows))}
	for i, r := range rows {
		out.Corrections[i] = r.correction()
	}
	return out, nil
}

// insertDistinct stores the distinct values a recomputed unique_count quota counts.
func insertDistinct(ctx context.Context, tx bun.Tx, rows []distinctRow) error {
	for chunk := range slices.Chunk(rows, chunkSize) {
		if _, err := tx.NewInsert().Model(&chunk).Exec(ctx); err != nil {
			return fmt.Errorf("insert distinct values: %w", err)
		}
	}
	return nil
}
