package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// dimensionRow is a row of usage_dimension_values: a value that rollups keep for
// one dimension of a subject's metric.
type dimensionRow struct {
	bun.BaseModel `bun:"table:usage_dimension_values"`

	Subject   string `bun:"subject,pk"`
	Metric    string `bun:"metric,pk"`
	Dimension string `bun:"dimension,pk"`
	Value     string `bun:"value,pk"`
}

// dimensionKey is the canonical form of an event's dimension values in its rollup
// rows: a JSON object of the names, which are sorted, and their values, so one
// combination of values is always one string, and names declared later do not
// change earlier rows' keys. It is written by hand: every admitted event has one,
// and encoding/json would allocate a map and more for each.
func dimensionKey(names, values []string) string {
	n := 2
	for i, name := range names {
		n += len(name) + len(values[i]) + 6
	}
	b := make([]byte, 0, n)
	b = append(b, '{')
	for i, name := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, name)
		b = append(b, ':')
		b = appendJSONString(b, values[i])
	}
	return string(append(b, '}'))
}

// appendJSONString appends s, valid UTF-8, as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// parseDimensionKey reads a dimensionKey.
func parseDimensionKey(key string) (map[string]string, error) {
	var obj map[string]string
	if err := json.Unmarshal([]byte(key), &obj); err != nil {
		return nil, fmt.Errorf("rollup dimensions %q: %w", key, err)
	}
	return obj, nil
}

type dimensionOf struct{ subject, metric, dimension string }

// admitted is what a batch knows of the values its subjects' dimensions keep: read
// inside the ingest transaction, under the locks of the batch's quota rows, and
// updated as the batch admits events, in order.
type admitted struct {
	kept  map[dimensionRow]bool
	count map[dimensionOf]int
	added []dimensionRow
}

// readAdmitted reads which of the batch's dimension values are kept already (those
// known to be need no read) and, for the dimensions with a value that is not, how
// many values they keep.
func readAdmitted(ctx context.Context, tx bun.IDB, events []store.IngestEvent, known *boundedSet[dimensionRow]) (*admitted, error) {
	a := &admitted{kept: map[dimensionRow]bool{}, count: map[dimensionOf]int{}}
	var values []dimensionRow
	seen := map[dimensionRow]bool{}
	for _, ie := range events {
		d := ie.Dimensions
		for i, name := range d.Names {
			r := dimensionRow{Subject: ie.Event.Subject, Metric: ie.Event.Metric, Dimension: name, Value: d.Values[i]}
			if r.Value == "" || seen[r] {
				continue
			}
			seen[r] = true
			if known.has(r) {
				a.kept[r] = true
				continue
			}
			values = append(values, r)
		}
	}
	for chunk := range slices.Chunk(values, chunkSize) {
		var rows []dimensionRow
		list, args := valuesList(chunk, "(?, ?, ?, ?)", func(args []any, r dimensionRow) []any {
			return append(args, r.Subject, r.Metric, r.Dimension, r.Value)
		})
		if err := tx.NewSelect().Model(&rows).
			Where("(subject, metric, dimension, value) IN (VALUES "+list+")", args...).Scan(ctx); err != nil {
			return nil, fmt.Errorf("read dimension values: %w", err)
		}
		for _, r := range rows {
			a.kept[r] = true
		}
		known.remember(rows)
	}
	var open []dimensionOf
	for _, r := range values {
		k := dimensionOf{r.Subject, r.Metric, r.Dimension}
		if _, ok := a.count[k]; !ok && !a.kept[r] {
			a.count[k] = 0
			open = append(open, k)
		}
	}
	for chunk := range slices.Chunk(open, chunkSize) {
		var rows []struct {
			Subject   string `bun:"subject"`
			Metric    string `bun:"metric"`
			Dimension string `bun:"dimension"`
			N         int    `bun:"n"`
		}
		list, args := valuesList(chunk, "(?, ?, ?)", func(args []any, k dimensionOf) []any {
			return append(args, k.subject, k.metric, k.dimension)
		})
		if err := tx.NewSelect().Model((*dimensionRow)(nil)).
			ColumnExpr("subject, metric, dimension, COUNT(*) AS n").
			Where("(subject, metric, dimension) IN (VALUES "+list+")", args...).
			Group("subject", "metric", "dimension").Scan(ctx, &rows); err != nil {
			return nil, fmt.Errorf("count dimension values: %w", err)
		}
		for _, r := range rows {
			a.count[dimensionOf{r.Subject, r.Metric, r.Dimension}] = r.N
		}
	}
	return a, nil
}

// keep returns the rollup key of an admitted event's dimension values ("" for a
// metric without dimensions): each value as given if its dimension keeps it or has
// room for it, which keeps it from now on, else store.OtherDimensionValue.
func (a *admitted) keep(ie store.IngestEvent) string {
	d := ie.Dimensions
	if len(d.Names) == 0 {
		return ""
	}
	values := make([]string, len(d.Names))
	for i, name := range d.Names {
		r := dimensionRow{Subject: ie.Event.Subject, Metric: ie.Event.Metric, Dimension: name, Value: d.Values[i]}
		k := dimensionOf{r.Subject, r.Metric, r.Dimension}
		switch {
		case r.Value == "" || a.kept[r]:
		case a.count[k] < d.Limit:
			a.kept[r] = true
			a.count[k]++
			a.added = append(a.added, r)
		default:
			r.Value = store.OtherDimensionValue
		}
		values[i] = r.Value
	}
	return dimensionKey(d.Names, values)
}

// statements returns the inserts of the values the batch began to keep. A batch of
// another period of the same subject and metric may have kept one at the same time
// (it holds another quota lock): the value is kept either way.
func (a *admitted) statements(tx bun.IDB) []string {
	var stmts []string
	for chunk := range slices.Chunk(a.added, chunkSize) {
		stmts = append(stmts, tx.NewInsert().Model(&chunk).On("CONFLICT DO NOTHING").String())
	}
	return stmts
}

// adjustDimensionRollup changes the rollup row of a corrected event's dimension
// values as adjustRollup changes the one over all values. Its row is the one of the
// hour whose values are the event's, each as its dimension keeps it: the value if
// kept, else "other". A metric without dimensions has no such row.
func adjustDimensionRollup(ctx context.Context, tx bun.IDB, ev store.Event, bucket, delta, count int64) error {
	var keys []string
	if err := tx.NewSelect().Model((*dimensionRollupRow)(nil)).Column("dimensions").
		Where("subject = ?", ev.Subject).Where("metric = ?", ev.Metric).
		Where("granularity = ?", granularityHour).Where("bucket_start = ?", bucket).
		Scan(ctx, &keys); err != nil || len(keys) == 0 {
		return err
	}
	var kept []dimensionRow
	if err := tx.NewSelect().Model(&kept).Where("subject = ?", ev.Subject).Where("metric = ?", ev.Metric).
		Scan(ctx); err != nil {
		return fmt.Errorf("read dimension values: %w", err)
	}
	keeps := make(map[dimensionRow]bool, len(kept))
	for _, r := range kept {
		keeps[r] = true
	}
	for _, key := range keys {
		values, err := parseDimensionKey(key)
		if err != nil {
			return err
		}
		match := true
		for name, v := range values {
			own := ev.Properties[name]
			if own != "" && !keeps[dimensionRow{Subject: ev.Subject, Metric: ev.Metric, Dimension: name, Value: own}] {
				own = store.OtherDimensionValue
			}
			match = match && v == own
		}
		if !match {
			continue
		}
		if _, err := tx.NewUpdate().Model((*dimensionRollupRow)(nil)).
			Set("total = total + ?", delta).Set("count = count + ?", count).
			Where("subject = ?", ev.Subject).Where("metric = ?", ev.Metric).
			Where("granularity = ?", granularityHour).Where("bucket_start = ?", bucket).
			Where("dimensions = ?", key).Exec(ctx); err != nil {
			return fmt.Errorf("update rollup: %w", err)
		}
		return nil
	}
	return nil
}
