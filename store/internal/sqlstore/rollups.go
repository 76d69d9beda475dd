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

// rollupsToRead is what readers read the rollups with the given dimensions from:
// over all values, the table with the quota rows' open hours added.
func rollupsToRead(byDimensions bool) string {
	if byDimensions {
		return rollupTable(true)
	}
	return rollupsWithOpenHours
}

// rollupKey names a batch's rollup row within its hour.
type rollupKey struct{ subject, metric, dimensions string }

// rollups accumulates a batch's admitted events into hourly rows.
type rollups map[rollupKey]map[int64]*rollup

// add adds an admitted event to its rollups: to the open hour of its quota row as
// the batch leaves it (*open, nil: none), unless it is late for it (see
// openHour), and, when dims is not empty, to its hour's row of its dimension
// values.
func (r rollups) add(e store.Event, dims string, open **rollup) {
	all := rollupKey{e.Subject, e.Metric, ""}
	bucket := hourOf(micros(e.Time))
	if h := *open; h != nil && bucket < h.BucketStart {
		r.addTo(all, e)
	} else {
		if h != nil && bucket > h.BucketStart {
			// The row's first event of a later hour closes the open one.
			r.merge(all, h)
			h = nil
		}
		if h == nil {
			h = &rollup{Subject: e.Subject, Metric: e.Metric, Granularity: granularityHour, BucketStart: bucket}
			*open = h
		}
		h.add(e)
	}
	if dims != "" {
		r.addTo(rollupKey{e.Subject, e.Metric, dims}, e)
	}
}

// hourOf returns the start of the UTC hour that holds at (microseconds).
func hourOf(at int64) int64 { return at - ((at%hourMicros)+hourMicros)%hourMicros }

func (r rollups) addTo(key rollupKey, e store.Event) {
	bucket := hourOf(micros(e.Time))
	if r[key] == nil {
		r[key] = map[int64]*rollup{}
	}
	row := r[key][bucket]
	if row == nil {
		row = &rollup{Subject: e.Subject, Metric: e.Metric, Granularity: granularityHour,
			BucketStart: bucket, Dimensions: key.dimensions}
		r[key][bucket] = row
	}
	row.add(e)
}

// merge adds the row x (of key, a whole hour) to the batch's row of its hour.
func (r rollups) merge(key rollupKey, x *rollup) {
	if r[key] == nil {
		r[key] = map[int64]*rollup{}
	}
	row := r[key][x.BucketStart]
	if row == nil {
		r[key][x.BucketStart] = x
		return
	}
	row.addRow(x)
}

// addRow adds x, a row of the same hour, to row.
func (row *rollup) addRow(x *rollup) {
	row.Total += x.Total
	row.Count += x.Count
	row.Min = min(row.Min, x.Min)
	row.Max = max(row.Max, x.Max)
	if x.LastAt >= row.LastAt {
		row.LastAt, row.Last = x.LastAt, x.Last
	}
}

// add adds an event of the row's hour to it.
func (row *rollup) add(e store.Event) {
	at := micros(e.Time)
	if row.Count == 0 {
		row.Min, row.Max, row.LastAt, row.Last = e.Value, e.Value, at, e.Value
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

// rollupAdd ends an INSERT into a rollup table (aliased r) that adds the rows
// inserted to those stored.
const rollupAdd = " ON CONFLICT (subject, metric, granularity, bucket_start, dimensions) DO UPDATE SET " +
	"total = r.total + EXCLUDED.total, count = r.count + EXCLUDED.count, " +
	"min_value = CASE WHEN EXCLUDED.min_value < r.min_value THEN EXCLUDED.min_value ELSE r.min_value END, " +
	"max_value = CASE WHEN EXCLUDED.max_value > r.max_value THEN EXCLUDED.max_value ELSE r.max_value END, " +
	"last_value = CASE WHEN EXCLUDED.last_at >= r.last_at THEN EXCLUDED.last_value ELSE r.last_value END, " +
	"last_at = CASE WHEN EXCLUDED.last_at >= r.last_at THEN EXCLUDED.last_at ELSE r.last_at END"

// rollupsInto begins an INSERT of rollupColumns into table, aliased r for
// rollupAdd.
func rollupsInto(table string) string {
	return "INSERT INTO " + table + " AS r (" + strings.Join(rollupColumns, ", ") + ") "
}

// upsertRollups returns the upsert of rows into table, sorted by key, which adds
// them to the rows stored.
func upsertRollups(table string, rows []*rollup) rowsStatement {
	slices.SortFunc(rows, func(a, b *rollup) int {
		return cmp.Or(strings.Compare(a.Subject, b.Subject), strings.Compare(a.Metric, b.Metric),
			cmp.Compare(a.BucketStart, b.BucketStart), strings.Compare(a.Dimensions, b.Dimensions))
	})
	into := rollupsInto(table)
	return rowsStatement{
		head:   into + "VALUES ",
		tail:   rollupAdd,
		arrays: &arrayForm{head: into + "SELECT * FROM ", tail: rollupAdd, names: rollupColumns, types: rollupTypes},
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

// Series does the work of Store.Series. An hour that two periods share may come
// in two rows (see rollupsWithOpenHours): they are added up.
func (s *engine) Series(ctx context.Context, params *store.SeriesParams) (*store.SeriesResult, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT bucket_start, total, count, min_value, max_value FROM "+
		rollupsWithOpenHours+" AS a WHERE subject = ? AND metric = ? AND granularity = ? AND bucket_start >= ? "+
		"AND bucket_start < ? ORDER BY bucket_start",
		params.Subject, params.Metric, granularityHour, micros(params.From), micros(params.To))
	if err != nil {
		return nil, fmt.Errorf("series: %w", err)
	}
	defer rows.Close()
	var hours []rollup
	for rows.Next() {
		var h rollup
		if err := rows.Scan(&h.BucketStart, &h.Total, &h.Count, &h.Min, &h.Max); err != nil {
			return nil, fmt.Errorf("series: %w", err)
		}
		if n := len(hours); n > 0 && hours[n-1].BucketStart == h.BucketStart {
			hours[n-1].addRow(&h)
			continue
		}
		hours = append(hours, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("series: %w", err)
	}
	out := &store.SeriesResult{Buckets: make([]store.Bucket, len(hours))}
	for i, h := range hours {
		out.Buckets[i] = store.Bucket{Start: fromMicros(h.BucketStart), Total: h.Total, Count: h.Count, Min: h.Min, Max: h.Max}
	}
	return out, nil
}

// ListActiveSeries does the work of Store.ListActiveSeries.
func (s *engine) ListActiveSeries(ctx context.Context, params *store.ListActiveSeriesParams) (*store.ListActiveSeriesResult, error) {
	limit := listLimit(params.Limit, defaultListLimit)
	// The table and the open hours are each read in key order up to the limit, as
	// their own indexes give them, and the two lists merged, so that each read can
	// stop at the page.
	// subject >= ? repeats a part of the next condition as one an index can start
	// from: a page otherwise read each index from its first key.
	after := "subject >= ? AND (subject > ? OR (subject = ? AND metric > ?))"
	page := " ORDER BY subject, metric LIMIT ?"
	query := "SELECT subject, metric FROM (SELECT DISTINCT subject, metric FROM " + rollupTable(false) +
		" WHERE granularity = ? AND bucket_start >= ? AND " + after + page + ") AS closed_hours UNION " +
		"SELECT subject, metric FROM (SELECT DISTINCT subject, metric FROM usage_quotas" +
		" WHERE hour_count > 0 AND hour_start >= ? AND " + after + page + ") AS open_hours" + page
	since, a := micros(params.Since), params.After
	rows, err := s.db.QueryContext(ctx, query,
		granularityHour, since, a.Subject, a.Subject, a.Subject, a.Metric, limit,
		since, a.Subject, a.Subject, a.Subject, a.Metric, limit, limit)
	if err != nil {
		return nil, fmt.Errorf("list active series: %w", err)
	}
	defer rows.Close()
	out := &store.ListActiveSeriesResult{Series: []store.SeriesKey{}}
	for rows.Next() {
		var k store.SeriesKey
		if err := rows.Scan(&k.Subject, &k.Metric); err != nil {
			return nil, fmt.Errorf("list active series: %w", err)
		}
		out.Series = append(out.Series, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list active series: %w", err)
	}
	return out, nil
}
