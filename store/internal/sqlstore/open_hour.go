package sqlstore

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// openHour is the hourly rollup over all dimension values of a quota row's latest
// hour, kept in the row (migration 027). A batch adds its events to it in the
// UPDATE that charges the row anyway, instead of upserting a rollup row for every
// subject it holds: at many subjects per batch that upsert cost as much as the
// quota rows' own update. The hour is closed, written to usage_aggregations, when
// the row's first event of a later hour comes, or before a correction or retention
// changes the hour's rollups; readers of the rollups add the open hours to the rows
// stored (rollupsWithOpenHours), adding up the rows of one hour: an event of an
// hour before the open one (a late event) goes to its hour's row in the table, and
// an hour that two periods share is open in two quota rows. Count is zero when the
// row has no open hour: every event adds one.
type openHour struct {
	Start  int64 `bun:"start"`
	Total  int64 `bun:"total"`
	Count  int64 `bun:"count"`
	Min    int64 `bun:"min"`
	Max    int64 `bun:"max"`
	LastAt int64 `bun:"last_at"`
	Last   int64 `bun:"last"`
}

// write gives w the values of the hour's columns, in the order of its fields.
func (h *openHour) write(w RowWriter) {
	for _, v := range [...]int64{h.Start, h.Total, h.Count, h.Min, h.Max, h.LastAt, h.Last} {
		w.Int(v)
	}
}

// rollup returns the open hour as a row of subject's metric; nil if there is none.
func (h openHour) rollup(subject, metric string) *rollup {
	if h.Count == 0 {
		return nil
	}
	return &rollup{Subject: subject, Metric: metric, Granularity: granularityHour, BucketStart: h.Start,
		Total: h.Total, Count: h.Count, Min: h.Min, Max: h.Max, LastAt: h.LastAt, Last: h.Last}
}

// openHourOf is the open hour a row of the rollups holds (none for nil).
func openHourOf(r *rollup) openHour {
	if r == nil {
		return openHour{}
	}
	return openHour{Start: r.BucketStart, Total: r.Total, Count: r.Count, Min: r.Min, Max: r.Max,
		LastAt: r.LastAt, Last: r.Last}
}

// openHoursAsRollups selects the quota rows' open hours as rows of usage_aggregations.
const openHoursAsRollups = "SELECT subject, metric, '" + granularityHour + "' AS granularity, " +
	"hour_start AS bucket_start, '' AS dimensions, hour_total AS total, hour_count AS count, " +
	"hour_min AS min_value, hour_max AS max_value, hour_last_at AS last_at, hour_last AS last_value " +
	"FROM usage_quotas WHERE hour_count > 0"

// rollupsWithOpenHours is usage_aggregations with the quota rows' open hours added:
// what the rollups over all dimension values hold. An hour may come in several
// rows (see openHour): readers add them up.
const rollupsWithOpenHours = "(SELECT subject, metric, granularity, bucket_start, dimensions, total, count, " +
	"min_value, max_value, last_at, last_value FROM usage_aggregations UNION ALL " + openHoursAsRollups + ")"

// closeOpenHours writes the open hours of the quota rows that where (a condition
// on usage_quotas, with args) selects into usage_aggregations, and empties them.
// Where rows are locked it locks them first, as Ingest does before it writes
// rollups: the hour it writes is then the one it empties.
func (s *engine) closeOpenHours(ctx context.Context, tx bun.IDB, where string, args ...any) error {
	if s.rowLocks() {
		if _, err := tx.ExecContext(ctx, "SELECT id FROM usage_quotas WHERE hour_count > 0 AND "+where+
			" ORDER BY id FOR UPDATE", args...); err != nil {
			return fmt.Errorf("close open hours: %w", err)
		}
	}
	into := rollupsInto(rollupTable(false))
	if _, err := tx.ExecContext(ctx, into+openHoursAsRollups+" AND "+where+rollupAdd, args...); err != nil {
		return fmt.Errorf("close open hours: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE usage_quotas SET hour_start = 0, hour_total = 0, hour_count = 0, "+
		"hour_min = 0, hour_max = 0, hour_last_at = 0, hour_last = 0 WHERE hour_count > 0 AND "+where, args...); err != nil {
		return fmt.Errorf("close open hours: %w", err)
	}
	return nil
}

// openHours holds the open hours of a batch's quota rows by ID, as the batch leaves
// them (nil: none).
type openHours map[string]*rollup

// row returns quota row id as q and the batch's open hour leave it.
func (h openHours) row(id string, q store.Quota) quotaRow {
	r := quotaRowOf(id, q)
	r.Hour = openHourOf(h[id])
	return r
}
