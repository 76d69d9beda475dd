package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/usagekit/usage/store"
)

// sumEvents adds the events of the spans to acc as the database aggregates them,
// one row per span (a part of an hour at a window's bound, in a zone whose offset
// is not whole hours): there are no dimension values to fold, so no event needs to
// reach Go. Each span is a query of its own with constant bounds, which both
// planners find through the series index: Postgres took longer to plan a union of
// sixty of them than to run them one by one, and a join of the events with a list
// of the spans let it read every event of the subject.
func (s *engine) sumEvents(ctx context.Context, params *store.UsageQueryParams, spans []span, acc *usageAcc) error {
	where := "metric = ? AND at >= ? AND at < ?"
	if params.Subject != "" {
		where = "series = ? AND subject = ? AND " + where
	}
	filter := func(args []any, sp span) []any {
		if params.Subject != "" {
			args = append(args, seriesOf(params.Subject, params.Metric), params.Subject)
		}
		return append(args, params.Metric, sp.from, sp.to)
	}
	// Of the events at the latest time, the one stored last is the span's latest.
	last := "0"
	if params.Latest {
		last = "COALESCE((SELECT value FROM usage_events WHERE " + where + " ORDER BY at DESC, seq DESC LIMIT 1), 0)"
	}
	query := "SELECT COUNT(*), CAST(COALESCE(SUM(value), 0) AS BIGINT), COALESCE(MIN(value), 0), " +
		"COALESCE(MAX(value), 0), COALESCE(MAX(at), 0), " + last + " FROM usage_events WHERE " + where
	for _, sp := range spans {
		var args []any
		if params.Latest {
			args = filter(args, sp)
		}
		p := partial{window: int64(sp.window)}
		if err := s.db.QueryRowContext(ctx, query, filter(args, sp)...).
			Scan(&p.count, &p.total, &p.min, &p.max, &p.lastAt, &p.last); err != nil {
			return fmt.Errorf("query usage events: %w", err)
		}
		acc.add(p, nil, true)
	}
	return nil
}

// readEvents adds the events of the spans to acc, in the order they were stored:
// by time, then sequence. Their dimension values are folded as Ingest folded them:
// a value the subject's dimension keeps is its own, any other is "other" (Ingest
// keeps a value from the first event that carries it, if there is room).
func (s *engine) readEvents(ctx context.Context, params *store.UsageQueryParams, spans []span, acc *usageAcc) error {
	if len(spans) == 0 {
		return nil
	}
	var kept map[dimensionRow]bool
	if acc.byDimensions() {
		var err error
		if kept, err = s.keptValues(ctx, params); err != nil {
			return err
		}
	}
	// Only the columns the query needs are read: properties are parsed only for
	// dimensions or a distinct property.
	needProps := acc.byDimensions() || (params.CountDistinct && params.DistinctProperty != "")
	columns := []string{"subject", "value", "at", "user_id"}
	if needProps {
		columns = append(columns, "properties")
	}
	for _, sp := range spans {
		q := s.db.NewSelect().Model((*eventRow)(nil)).Column(columns...).
			Where("metric = ?", params.Metric).Where("at >= ?", sp.from).Where("at < ?", sp.to)
		if params.Subject != "" {
			q = q.Where("series = ?", seriesOf(params.Subject, params.Metric)).Where("subject = ?", params.Subject)
		}
		var rows []eventRow
		if err := q.Order("at", "seq").Scan(ctx, &rows); err != nil {
			return fmt.Errorf("query usage events: %w", err)
		}
		for _, r := range rows {
			var props map[string]string
			if needProps && r.Properties != "" {
				if err := json.Unmarshal([]byte(r.Properties), &props); err != nil {
					return fmt.Errorf("query usage events: properties: %w", err)
				}
			}
			var values map[string]string
			if acc.byDimensions() {
				values = make(map[string]string, len(params.Dimensions))
				for _, name := range params.Dimensions {
					v := props[name]
					if v != "" && !kept[dimensionRow{Subject: r.Subject, Metric: params.Metric, Dimension: name, Value: v}] {
						v = store.OtherDimensionValue
					}
					values[name] = v
				}
			}
			if params.CountDistinct {
				distinct := r.UserID
				if params.DistinctProperty != "" {
					distinct = props[params.DistinctProperty]
				}
				acc.addDistinct(sp.window, values, r.Subject, distinct)
				continue
			}
			acc.add(partial{window: int64(sp.window), total: r.Value, count: 1, min: r.Value, max: r.Value,
				lastAt: r.At, last: r.Value}, values, true)
		}
	}
	return nil
}

// keptValues reads the dimension values that the metric's rollups keep, of the
// query's subject or of all.
func (s *engine) keptValues(ctx context.Context, params *store.UsageQueryParams) (map[dimensionRow]bool, error) {
	var rows []dimensionRow
	q := s.db.NewSelect().Model(&rows).Where("metric = ?", params.Metric)
	if params.Subject != "" {
		q = q.Where("subject = ?", params.Subject)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("read dimension values: %w", err)
	}
	kept := make(map[dimensionRow]bool, len(rows))
	for _, r := range rows {
		kept[r] = true
	}
	return kept, nil
}
