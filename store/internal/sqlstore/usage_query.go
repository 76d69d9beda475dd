package sqlstore

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/usagekit/usage/store"
)

// span is the part [from, to) of a window, in microseconds, read one way: from the
// hourly rollups (whole hours) or from the events.
type span struct {
	window   int
	from, to int64
}

// splitWindows splits each window into its whole UTC hours, read from rollups, and
// the parts of hours at its bounds, read from the events; a window shorter than its
// partial hours is read from the events whole.
func splitWindows(windows []store.UsageWindow) (whole, partial []span) {
	for i, w := range windows {
		from, to := micros(w.Start), micros(w.End)
		if from >= to {
			continue
		}
		first := from + (hourMicros-((from%hourMicros)+hourMicros)%hourMicros)%hourMicros
		last := to - ((to%hourMicros)+hourMicros)%hourMicros
		if first >= last {
			partial = append(partial, span{i, from, to})
			continue
		}
		whole = append(whole, span{i, first, last})
		if from < first {
			partial = append(partial, span{i, from, first})
		}
		if last < to {
			partial = append(partial, span{i, last, to})
		}
	}
	return whole, partial
}

// QueryUsage does the work of Store.QueryUsage.
func (s *engine) QueryUsage(ctx context.Context, params *store.UsageQueryParams) (*store.UsageQueryResult, error) {
	acc := newUsageAcc(params)
	if params.CountDistinct {
		all := make([]span, 0, len(params.Windows))
		for i, w := range params.Windows {
			all = append(all, span{i, micros(w.Start), micros(w.End)})
		}
		if err := s.readEvents(ctx, params, all, acc); err != nil {
			return nil, err
		}
		return acc.result(), nil
	}
	whole, partial := splitWindows(params.Windows)
	if err := s.readRollups(ctx, params, whole, acc); err != nil {
		return nil, err
	}
	read := s.readEvents
	if !acc.byDimensions() {
		read = s.sumEvents
	}
	if err := read(ctx, params, partial, acc); err != nil {
		return nil, err
	}
	return acc.result(), nil
}

// sumInDatabase is the most spans of several hours whose hours the database sums,
// finding each row's span in a CASE of them all; more spans (a year of days) cost
// more there than reading each hour's row and finding its span in Go.
const sumInDatabase = 32

// readRollups adds the hourly rollups of the spans to acc, in one query. Spans of
// several hours are summed in the database, one row each (a trend's previous
// period, a day); the rows of one-hour spans are read as they are, which is as
// much as there is to read. Without dimensions it reads the rows over all values,
// else those of each combination.
func (s *engine) readRollups(ctx context.Context, params *store.UsageQueryParams, spans []span, acc *usageAcc) error {
	if len(spans) == 0 {
		return nil
	}
	var summed, scanned []span
	for _, sp := range spans {
		if sp.to-sp.from > hourMicros && !params.Latest {
			summed = append(summed, sp)
		} else {
			scanned = append(scanned, sp)
		}
	}
	if len(summed) > sumInDatabase {
		summed, scanned = nil, spans
	}
	query, args := rollupsQuery(params, summed, scanned, acc.byDimensions())
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("query usage rollups: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p partial
		var dimensions string
		if err := rows.Scan(&p.window, &dimensions, &p.total, &p.count, &p.min, &p.max, &p.lastAt, &p.last); err != nil {
			return fmt.Errorf("query usage rollups: %w", err)
		}
		if p.window = int64(windowOf(summed, scanned, p.window)); p.window < 0 {
			continue
		}
		var values map[string]string
		if dimensions != "" {
			if values, err = parseDimensionKey(dimensions); err != nil {
				return err
			}
		}
		acc.add(p, values, false)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("query usage rollups: %w", err)
	}
	return nil
}

// rollupFilter is the WHERE clause shared by the rollup reads, after the bounds.
func rollupFilter(params *store.UsageQueryParams) (string, []any) {
	where := " AND a.metric = ? AND a.granularity = ?"
	args := []any{params.Metric, granularityHour}
	if params.Subject != "" {
		where += " AND a.subject = ?"
		args = append(args, params.Subject)
	}
	return where, args
}

// rollupsQuery returns the query that sums the hours of each summed span in the
// database, one row per span and dimension values, and reads every hourly row from
// the first scanned span's start to the last one's end. Its first column is, for a
// summed row, the negated span index minus one (math.MaxInt64 outside every summed
// span), else the hour's start (see windowOf). A CASE finds the summed span: a join
// with a VALUES list of them lets SQLite, once it has statistics, build an index on
// the rollups for every query.
func rollupsQuery(params *store.UsageQueryParams, summed, scanned []span, byDimensions bool) (string, []any) {
	where, filter := rollupFilter(params)
	from := " FROM " + rollupsToRead(byDimensions) + " AS a WHERE a.bucket_start >= ? AND a.bucket_start < ?" + where
	var parts []string
	var args []any
	if len(summed) > 0 {
		var b strings.Builder
		b.WriteString("SELECT CASE")
		for i, sp := range summed {
			fmt.Fprintf(&b, " WHEN a.bucket_start >= %d AND a.bucket_start < %d THEN %d", sp.from, sp.to, -1-i)
		}
		fmt.Fprintf(&b, " ELSE %d END, a.dimensions, CAST(SUM(a.total) AS BIGINT), CAST(SUM(a.count) AS BIGINT), "+
			"MIN(a.min_value), MAX(a.max_value), MAX(a.last_at), 0", int64(math.MaxInt64))
		lo, hi := summed[0].from, summed[0].to
		for _, sp := range summed {
			lo, hi = min(lo, sp.from), max(hi, sp.to)
		}
		parts = append(parts, b.String()+from+" GROUP BY 1, a.dimensions")
		args = append(append(args, lo, hi), filter...)
	}
	if len(scanned) > 0 {
		parts = append(parts, "SELECT a.bucket_start, a.dimensions, a.total, a.count, a.min_value, a.max_value, a.last_at, a.last_value"+from)
		args = append(append(args, scanned[0].from, scanned[len(scanned)-1].to), filter...)
	}
	return strings.Join(parts, " UNION ALL "), args
}

// windowOf returns the window of a row of a rollup read: k < 0 is the summed span
// -1-k, else k is an hour's start, found among the scanned spans (ascending, not
// overlapping); -1 when no span holds it.
func windowOf(summed, scanned []span, k int64) int {
	if k < 0 {
		return summed[-1-k].window
	}
	i := sort.Search(len(scanned), func(i int) bool { return scanned[i].to > k })
	if i == len(scanned) || scanned[i].from > k {
		return -1
	}
	return scanned[i].window
}

// groupKey joins a group's values; property values hold no NUL bytes.
func groupKey(values []string) string { return strings.Join(values, "\x00") }
