package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// granularityHour names the hourly rollups of both rollup tables. Longer steps (days
// in a subject's time zone) are folded from hours by the caller.
const granularityHour = "hour"

const hourMicros = int64(time.Hour / time.Microsecond)

// rollupRow is a row of usage_aggregations: the admitted events of one subject and
// metric in one bucket, over all dimension values (its dimensions are ”).
type rollupRow struct {
	bun.BaseModel `bun:"table:usage_aggregations"`
	rollup
}

// dimensionRollupRow is a row of usage_dimension_rollups: the admitted events of
// one subject and metric in one bucket with one combination of dimension values
// (canonical, see dimensionKey). The combinations have a table of their own so
// that a subject's rows over all values lie together in the rollups' key.
type dimensionRollupRow struct {
	bun.BaseModel `bun:"table:usage_dimension_rollups"`
	rollup
}

// rollup holds the columns the two rollup tables share.
type rollup struct {
	Subject     string `bun:"subject,pk"`
	Metric      string `bun:"metric,pk"`
	Granularity string `bun:"granularity,pk"`
	BucketStart int64  `bun:"bucket_start,pk"`
	Dimensions  string `bun:"dimensions,pk"`
	Total       int64  `bun:"total"`
	Count       int64  `bun:"count"`
	Min         int64  `bun:"min_value"`
	Max         int64  `bun:"max_value"`
	LastAt      int64  `bun:"last_at"`
	Last        int64  `bun:"last_value"`
}

// rollupTable is the table of the rollups with the given dimensions.
func rollupTable(byDimensions bool) string {
	if byDimensions {
		return "usage_dimension_rollups"
	}
	return "usage_aggregations"
}

// rollupKey names a batch's rollup row within its hour.
type rollupKey struct{ subject, metric, dimensions string }

// rollups accumulates a batch's admitted events into hourly rows.
type rollups map[rollupKey]map[int64]*rollup

// add adds an event to its hour's row over all dimension values and, when dims is
// not empty, to the row of its dimension values.
func (r rollups) add(e store.Event, dims string) {
	r.addTo(rollupKey{e.Subject, e.Metric, ""}, e)
	if dims != "" {
		r.addTo(rollupKey{e.Subject, e.Metric, dims}, e)
	}
}

func (r rollups) addTo(key rollupKey, e store.Event) {
	at := micros(e.Time)
	bucket := at - ((at%hourMicros)+hourMicros)%hourMicros
	if r[key] == nil {
		r[key] = map[int64]*rollup{}
	}
	row := r[key][bucket]
	if row == nil {
		r[key][bucket] = &rollup{Subject: e.Subject, Metric: e.Metric, Granularity: granularityHour,
			BucketStart: bucket, Dimensions: key.dimensions, Total: e.Value, Count: 1, Min: e.Value, Max: e.Value,
			LastAt: at, Last: e.Value}
		return
	}
	row.Total += e.Value
	row.Count++
	row.Min = min(row.Min, e.Value)
	row.Max = max(row.Max, e.Value)
	// Events come in the order they are stored: of those at one time, the last wins.
	if at >= row.LastAt {
		row.LastAt, row.Last = at, e.Value
	}
}

// statements returns the upserts of the rows, the table over all values first,
// each in key order. Concurrent batches touching one row share its quota row too
// (an hour lies in one period), so the quota locks already order them.
func (r rollups) statements() []rowsStatement {
	var all, byDimensions []*rollup
	for key, buckets := range r {
		for _, row := range buckets {
			if key.dimensions == "" {
				all = append(all, row)
			} else {
				byDimensions = append(byDimensions, row)
			}
		}
	}
	return []rowsStatement{upsertRollups(rollupTable(false), all), upsertRollups(rollupTable(true), byDimensions)}
}

// rollupColumns are the columns upsertRollups writes, and rollupTypes their types.
var (
	rollupColumns = []string{"subject", "metric", "granularity", "bucket_start", "dimensions",
		"total", "count", "min_value", "max_value", "last_at", "last_value"}
	rollupTypes = []string{"text", "text", "text", "bigint", "text",
		"bigint", "bigint", "bigint", "bigint", "bigint", "bigint"}
)

// upsertRollups returns the upsert of rows into table, sorted by key, which adds
// them to the rows stored.
func upsertRollups(table string, rows []*rollup) rowsStatement {
	slices.SortFunc(rows, func(a, b *rollup) int {
		return cmp.Or(strings.Compare(a.Subject, b.Subject), strings.Compare(a.Metric, b.Metric),
			cmp.Compare(a.BucketStart, b.BucketStart), strings.Compare(a.Dimensions, b.Dimensions))
	})
	into := "INSERT INTO " + table + " AS r (" + strings.Join(rollupColumns, ", ") + ") "
	add := " ON CONFLICT (subject, metric, granularity, bucket_start, dimensions) DO UPDATE SET " +
		"total = r.total + EXCLUDED.total, count = r.count + EXCLUDED.count, " +
		"min_value = CASE WHEN EXCLUDED.min_value < r.min_value THEN EXCLUDED.min_value ELSE r.min_value END, " +
		"max_value = CASE WHEN EXCLUDED.max_value > r.max_value THEN EXCLUDED.max_value ELSE r.max_value END, " +
		"last_value = CASE WHEN EXCLUDED.last_at >= r.last_at THEN EXCLUDED.last_value ELSE r.last_value END, " +
		"last_at = CASE WHEN EXCLUDED.last_at >= r.last_at THEN EXCLUDED.last_at ELSE r.last_at END"
	return rowsStatement{
		head:   into + "VALUES ",
		tail:   add,
		arrays: &arrayForm{head: into + "SELECT * FROM ", tail: add, names: rollupColumns, types: rollupTypes},
		width:  11, n: len(rows),
		write: func(i int, w RowWriter) {
			x := rows[i]
			w.Text(x.Subject)
			w.Text(x.Metric)
			w.Text(x.Granularity)
			w.Int(x.BucketStart)
			w.Text(x.Dimensions)
			for _, v := range [...]int64{x.Total, x.Count, x.Min, x.Max, x.LastAt, x.Last} {
				w.Int(v)
			}
		},
	}
}

// Series does the work of Store.Series.
func (s *engine) Series(ctx context.Context, params *store.SeriesParams) (*store.SeriesResult, error) {
	var rows []rollupRow
	if err := s.db.NewSelect().Model(&rows).
		Where("subject = ?", params.Subject).
		Where("metric = ?", params.Metric).
		Where("granularity = ?", granularityHour).
		Where("bucket_start >= ?", micros(params.From)).
		Where("bucket_start < ?", micros(params.To)).
		Order("bucket_start").Scan(ctx); err != nil {
		return nil, fmt.Errorf("series: %w", err)
	}
	out := &store.SeriesResult{Buckets: make([]store.Bucket, len(rows))}
	for i, r := range rows {
		out.Buckets[i] = store.Bucket{Start: fromMicros(r.BucketStart), Total: r.Total,
			Count: r.Count, Min: r.Min, Max: r.Max}
	}
	return out, nil
}

// ListActiveSeries does the work of Store.ListActiveSeries.
func (s *engine) ListActiveSeries(ctx context.Context, params *store.ListActiveSeriesParams) (*store.ListActiveSeriesResult, error) {
	limit := listLimit(params.Limit, defaultListLimit)
	var rows []struct {
		Subject string `bun:"subject"`
		Metric  string `bun:"metric"`
	}
	if err := s.db.NewSelect().Model((*rollupRow)(nil)).Distinct().Column("subject", "metric").
		Where("granularity = ?", granularityHour).
		Where("bucket_start >= ?", micros(params.Since)).
		Where("(subject > ? OR (subject = ? AND metric > ?))", params.After.Subject, params.After.Subject, params.After.Metric).
		Order("subject", "metric").Limit(int64(limit)).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("list active series: %w", err)
	}
	out := &store.ListActiveSeriesResult{Series: make([]store.SeriesKey, len(rows))}
	for i, r := range rows {
		out.Series[i] = store.SeriesKey{Subject: r.Subject, Metric: r.Metric}
	}
	return out, nil
}
