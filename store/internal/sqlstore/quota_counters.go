package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/usagekit/usage/store"
)

// quotaCounters returns the UPDATE that writes the counters and open hours of the
// quota rows of dirty, in ID order. The rows exist and are locked, so only the
// columns that change are sent.
func quotaCounters(quotas map[string]store.Quota, hours openHours, dirty map[string]bool) rowsStatement {
	ids := make([]string, 0, len(dirty))
	for id := range dirty {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return rowsStatement{
		head:  "WITH v (" + strings.Join(counterColumns, ", ") + ") AS (VALUES ",
		tail:  ") " + setCounters + "v WHERE q.id = v.id",
		width: len(counterColumns), n: len(ids),
		arrays: &arrayForm{settings: byKeyIndex, head: setCounters + "(SELECT * FROM ", tail: ") AS v WHERE q.id = v.id",
			names: counterColumns, types: counterTypes},
		write: func(i int, w RowWriter) {
			writeCounters(w, ids[i], quotas[ids[i]], hours[ids[i]])
		},
	}
}

// toCompare returns the rows of was not committed under the batch's sight, which
// compareAndSetQuotas compares as it writes them, and the IDs of the others that
// the batch changed (in dirty), which quotaCounters writes by their key alone: a
// row committed under the sight of a transaction that holds the write lock is as
// this store left it (see engine.look).
func toCompare(was []quotaRow, inSight []bool, dirty map[string]bool) (compare []quotaRow, changed map[string]bool) {
	for i, r := range was {
		switch {
		case !inSight[i]:
			if compare == nil {
				compare = make([]quotaRow, 0, len(was)-i)
			}
			compare = append(compare, r)
		case dirty[r.ID]:
			if changed == nil {
				changed = map[string]bool{}
			}
			changed[r.ID] = true
		}
	}
	return compare, changed
}

// compareAndSetQuotas writes the counters of the quota rows of was, which the batch
// decided against as remembered, as quotas holds them now, if every row is still
// as remembered; otherwise it returns a *staleQuotasError and writes nothing that
// the attempt's rollback does not undo. Where the database keeps row versions
// (see RowVersion), a row is compared by its version, which any write changes, and
// its usage, and the statement returns the version it gave the rows. Elsewhere it
// is compared in every column a write of any kind may change, so a row changed by
// another instance, a correction or a plan change since it was remembered fails
// the comparison; of its open hour, in the count alone: an event that changes the
// hour counts in the row's count too, and closing the hour empties it. It returns
// the statements to run after it in the transaction. Where rows are locked, this is
// where the batch locks them, in key order, as lockQuotas does.
func (s *engine) compareAndSetQuotas(ctx context.Context, t *ingestTx, was []quotaRow, quotas map[string]store.Quota, hours openHours) ([]string, error) {
	var written int64
	var err error
	var after []string
	if v := s.dialect.RowVersion; v != nil {
		var vals []int64
		vals, err = s.queryLast(ctx, t, keyOrder+versionedCompareAndSet(v).text(t.db.Dialect(), len(was), func(i int, w RowWriter) {
			r := &was[i]
			writeCounters(w, r.ID, quotas[r.ID], hours[r.ID])
			w.Int(r.Version)
			w.Int(r.Used)
		}))
		if err == nil {
			written, t.version = vals[0], vals[1]
		}
		after = resetKeyOrder
	} else {
		written, err = execPrepared(ctx, t.prepared, rowsStatement{
			head:  "WITH v (" + strings.Join(compareAndSetColumns, ", ") + ") AS (VALUES ",
			tail:  ") " + setCounters + "v WHERE q.id = v.id AND " + unchangedSince,
			width: len(compareAndSetColumns), n: len(was),
			write: func(i int, w RowWriter) {
				r := &was[i]
				writeCounters(w, r.ID, quotas[r.ID], hours[r.ID])
				for _, v := range [...]int64{r.Used, r.Count, r.Total, r.LastAt, r.UpdatedAt, r.Limit, boolInt(r.Unlimited),
					boolInt(r.AllowOverage), r.PeriodEnd, r.Hour.Count} {
					w.Int(v)
				}
				w.Text(r.Aggregation)
			},
		})
	}
	if err != nil {
		return nil, fmt.Errorf("write quota rows: %w", err)
	}
	if written != int64(len(was)) {
		return nil, s.staleQuotas(ctx, t, was, quotas, hours)
	}
	return after, nil
}

// staleQuotas returns the error of an attempt that found some of the rows of was
// changed, naming which: those that hold neither what was remembered nor what the
// attempt wrote into the rows found unchanged, quotas.
func (s *engine) staleQuotas(ctx context.Context, t *ingestTx, was []quotaRow, quotas map[string]store.Quota, hours openHours) error {
	stale := &staleQuotasError{ids: make([]string, len(was))}
	for i, r := range was {
		stale.ids[i] = r.ID
	}
	now, nowHours := map[string]store.Quota{}, openHours{}
	if err := s.selectQuotas(ctx, t, stale.ids, now, nowHours, false); err != nil {
		return err
	}
	for _, r := range was {
		q, ok := now[r.ID]
		r.Version = 0 // the rows read carry none: a row is changed if its values are
		if row := nowHours.row(r.ID, q); !ok || (row != r && row != hours.row(r.ID, quotas[r.ID])) {
			stale.changed = append(stale.changed, r.ID)
		}
	}
	return stale
}

// counterColumns name the values quotaCounters gives each row: the key, and the
// counters and open hour as the batch leaves them (see writeCounters).
var counterColumns = []string{"id", "used", "count", "total", "last_at", "updated_at",
	"hour_start", "hour_total", "hour_count", "hour_min", "hour_max", "hour_last_at", "hour_last"}

// compareAndSetColumns name the values compareAndSetQuotas gives each row where
// the database keeps no row versions: counterColumns, then the row as remembered.
var compareAndSetColumns = append(slices.Clone(counterColumns),
	"was_used", "was_count", "was_total", "was_last_at", "was_updated_at", "was_limit",
	"was_unlimited", "was_overage", "was_period_end",
	"was_hour_count",
	"was_aggregation")

// counterTypes are the Postgres types of counterColumns: the key, then bigints.
var counterTypes = append([]string{"text"}, slices.Repeat([]string{"bigint"}, len(counterColumns)-1)...)

// writeCounters writes the values of counterColumns for the quota row id, left as
// q with the open hour h (nil: none).
func writeCounters(w RowWriter, id string, q store.Quota, h *rollup) {
	w.Text(id)
	for _, v := range [...]int64{q.Used, q.Count, q.Total, micros(q.LastAt), micros(q.UpdatedAt)} {
		w.Int(v)
	}
	open := openHourOf(h)
	open.write(w)
}

const (
	// unchangedSince holds for a row q that is as v remembers it.
	unchangedSince = "q.used = v.was_used AND q.count = v.was_count AND q.total = v.was_total AND " +
		"q.last_at = v.was_last_at AND q.updated_at = v.was_updated_at AND q.quota_limit = v.was_limit AND " +
		"q.unlimited = (v.was_unlimited = 1) AND q.allow_overage = (v.was_overage = 1) AND " +
		"q.period_end = v.was_period_end AND q.aggregation = v.was_aggregation AND " +
		"q.hour_count = v.was_hour_count"
	setCounters = "UPDATE usage_quotas AS q SET used = v.used, count = v.count, total = v.total, " +
		"last_at = v.last_at, updated_at = v.updated_at, hour_start = v.hour_start, hour_total = v.hour_total, " +
		"hour_count = v.hour_count, hour_min = v.hour_min, hour_max = v.hour_max, hour_last_at = v.hour_last_at, " +
		"hour_last = v.hour_last FROM "
	// byKeyIndex makes the transaction's next UPDATE over rows from arrays reach
	// each row through the key's index, one lookup per row of v: the joins and
	// scans that read a table in its own order are turned off, and the loop's
	// inner side is never kept (which would let a scan of the whole key drive it).
	// Left to itself, the planner joins a batch's rows by hashing every row of a
	// table of a few thousand, a scan of the whole table for each batch.
	byKeyIndex = "SET LOCAL enable_hashjoin = off;\nSET LOCAL enable_mergejoin = off;\n" +
		"SET LOCAL enable_seqscan = off;\nSET LOCAL enable_bitmapscan = off;\nSET LOCAL enable_material = off;\n"
	// keyOrder makes the transaction's next UPDATE lock its rows in key order. It
	// locks each row as it reaches it, through the key's index (byKeyIndex), in
	// the order of v, which versionedCompareAndSet sorts as lockQuotas's ORDER BY
	// does. Rows written by several processes at once were seen to deadlock all
	// the same (in the tests that kill processes as they write), so the UPDATE
	// waits for a row at most a few milliseconds (lock_timeout), then fails, and
	// the attempt runs again (Dialect.Retryable) until it finds the row changed and
	// reads and locks it (staleQuotasError): it is never the one a cycle of waits
	// waits for.
	keyOrder = byKeyIndex + "SET LOCAL lock_timeout = '2ms';\n"
)

// resetKeyOrder undoes keyOrder, or byKeyIndex, for the rest of the transaction.
// Ingest runs it among the statements after the rollup upserts, which read their
// rows from arrays without a join, so the plan settings change nothing for them;
// they seldom wait for a row (one is written under its quota row's lock, but for
// an hour that two periods share), and a wait past lock_timeout only runs the
// attempt again.
var resetKeyOrder = []string{"RESET enable_hashjoin", "RESET enable_mergejoin", "RESET enable_seqscan",
	"RESET enable_bitmapscan", "RESET enable_material", "RESET lock_timeout"}

// staleQuotasError aborts an attempt of Ingest that decided against remembered quota
// rows of which some changed since: the rows to read in the next attempt, and of
// them those found changed.
type staleQuotasError struct{ ids, changed []string }

func (e *staleQuotasError) Error() string {
	return fmt.Sprintf("sqlstore: %d remembered quota rows, some changed", len(e.ids))
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
