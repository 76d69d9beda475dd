package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// quotasToCreate returns the rows of b that this store has not seen in the
// database, in key order, to be created before any row is locked, as rows found
// missing are (see lockQuotas). A batch that meets subjects for the first time in a
// period then locks its rows in its first attempt, instead of finding them missing
// in an attempt that is rolled back and run again. Creating a row that exists
// already leaves it as it is.
func (s *engine) quotasToCreate(b *batchQuotas) []quotaRow {
	var create []quotaRow
	for _, r := range b.ordered {
		if !s.quotas.has(r.ID) {
			create = append(create, r)
		}
	}
	return create
}

// rememberQuotas records the rows a committed batch created, or found, as
// existing, and rows as it left them, committed under sight (see engine.look).
// Every row the batch had not remembered to exist was among those it created.
func (s *engine) rememberQuotas(created, rows []quotaRow, sight uint64) {
	if len(created) > 0 {
		ids := make([]string, len(created))
		for i, r := range created {
			ids[i] = r.ID
		}
		s.quotas.remember(ids)
	}
	s.quotaStates.committed(rows, sight)
}

// knownQuotas returns, in ID order, the rows of ordered (in ID order) this store
// remembers, and for each whether it was committed under sight (see
// quotaStates.known), with ok set, if every row of ordered is either remembered or
// to be created (in create, a part of ordered, while insertFinal is set) and none
// counts unique values; otherwise ok is false.
func (s *engine) knownQuotas(ordered, create []quotaRow, sight uint64) (rows []quotaRow, inSight []bool, ok bool) {
	if len(create) > 0 && !s.insertFinal.Load() {
		return nil, nil, false
	}
	if rows, inSight, ok = s.quotaStates.known(withoutRows(ordered, create), sight); !ok {
		return nil, nil, false
	}
	// A unique count's decisions depend on the values it has counted, read before
	// the row is locked, and a correction may change them and leave the row as it
	// was.
	if countsUnique(rows) || countsUnique(create) {
		return nil, nil, false
	}
	return rows, inSight, true
}

// countsUnique reports whether any of rows counts unique values.
func countsUnique(rows []quotaRow) bool {
	return slices.ContainsFunc(rows, func(r quotaRow) bool {
		return r.Aggregation == string(store.AggregationUniqueCount)
	})
}

// takeAsNew sets quotas to the rows of create as their specs say: rows the batch
// creates, which no other transaction can change before it ends.
func takeAsNew(quotas map[string]store.Quota, create []quotaRow) {
	for _, r := range create {
		quotas[r.ID] = r.quota()
	}
}

// insertFinalQuotas creates the rows of create, which the batch decided against as
// new, as it leaves them (quotas), in key order. It is the attempt's first write,
// so it waits for no row while holding one: creating rows waits only for
// transactions creating the same rows, in the same order. If one of them exists
// already (another writer created it, unseen by this store), it returns
// errQuotaRowsExist and the attempt runs again, reading and locking its rows.
//
// Where the backend has a bulk load, the rows go in with it: a row that exists
// then fails the load, and the attempt with it, instead of being left out, which
// the attempt would fail on anyway. A quota row created for every subject's first
// event of a period cost more than the event's own row when inserted from arrays
// with a clause for conflicts.
func (s *engine) insertFinalQuotas(ctx context.Context, t *ingestTx, create []quotaRow, quotas map[string]store.Quota, hours openHours) error {
	rows := make([]quotaRow, len(create))
	for i, r := range create {
		rows[i] = hours.row(r.ID, quotas[r.ID])
	}
	if s.dialect.CopyRows != nil {
		err := s.copyRows(ctx, t, "usage_quotas", quotaColumns, len(rows), func(i int, w RowWriter) {
			rows[i].write(w)
		})
		if s.dialect.UniqueViolation(err, "usage_quotas") {
			return errQuotaRowsExist
		}
		if err != nil {
			return fmt.Errorf("create quota rows: %w", err)
		}
		return nil
	}
	created, err := s.insertQuotas(ctx, t, rows)
	if err != nil {
		return err
	}
	if created != int64(len(rows)) {
		return errQuotaRowsExist
	}
	return nil
}

// errQuotaRowsExist aborts an attempt of Ingest that took for new a quota row that
// exists.
var errQuotaRowsExist = errors.New("sqlstore: a quota row to create exists already")

// withoutRows returns the rows of ordered (in ID order) that are not in rows, a
// part of ordered in the same order.
func withoutRows(ordered, rows []quotaRow) []quotaRow {
	if len(rows) == 0 {
		return ordered
	}
	out := make([]quotaRow, 0, len(ordered)-len(rows))
	next := 0 // the first of rows not yet passed
	for _, r := range ordered {
		if next < len(rows) && rows[next].ID == r.ID {
			next++
			continue
		}
		out = append(out, r)
	}
	return out
}

// quotaOf is the quota row an event counts against, as created if missing.
func quotaOf(ie store.IngestEvent, now time.Time) store.Quota {
	return store.Quota{
		Subject: ie.Event.Subject, Metric: ie.Event.Metric,
		PeriodStart: ie.Quota.PeriodStart, PeriodEnd: ie.Quota.PeriodEnd,
		Aggregation: ie.Quota.Aggregation, Limit: ie.Quota.Limit,
		Unlimited: ie.Quota.Unlimited, AllowOverage: ie.Quota.AllowOverage,
		UpdatedAt: now,
	}
}

// lockQuotas returns the quota rows of specs (in ID order) locked for the transaction,
// in key order, so that concurrent batches do not deadlock. Where rows are locked,
// a missing row is not created here: a row created after the rows already locked
// would be locked out of key order, and when every subject's first event of a
// period comes from several instances at once, such deadlocks chain. It returns a
// *missingQuotasError instead, and the next attempt creates the rows before it
// locks any: creating rows waits only for transactions creating the same rows, in
// the same order, before they lock anything, so no cycle of waits can form. Where
// writers are serialised, it creates missing rows itself.
func (s *engine) lockQuotas(ctx context.Context, t *ingestTx, specs []quotaRow, hours openHours) (map[string]store.Quota, error) {
	ids := make([]string, len(specs))
	for i, r := range specs {
		ids[i] = r.ID
	}
	quotas := make(map[string]store.Quota, len(ids))
	if err := s.selectQuotas(ctx, t, ids, quotas, hours, true); err != nil {
		return nil, err
	}
	var missing []quotaRow
	var missingIDs []string
	for _, r := range specs {
		if _, ok := quotas[r.ID]; !ok {
			missing = append(missing, r)
			missingIDs = append(missingIDs, r.ID)
		}
	}
	if len(missing) == 0 {
		return quotas, nil
	}
	if s.rowLocks() {
		return nil, &missingQuotasError{rows: missing}
	}
	if _, err := s.insertQuotas(ctx, t, missing); err != nil {
		return nil, err
	}
	if err := s.selectQuotas(ctx, t, missingIDs, quotas, hours, true); err != nil {
		return nil, err
	}
	if len(quotas) != len(ids) {
		return nil, fmt.Errorf("lock quota rows: found %d of %d", len(quotas), len(ids))
	}
	return quotas, nil
}

// missingQuotasError aborts an attempt of Ingest that found quota rows missing
// where rows are locked: the rows to create, in key order, in the next attempt.
type missingQuotasError struct{ rows []quotaRow }

func (e *missingQuotasError) Error() string {
	return fmt.Sprintf("sqlstore: %d quota rows to create", len(e.rows))
}

// insertQuotas inserts rows, in order, leaving those that exist already as they are,
// in one round trip where rows are locked, and returns how many it created.
func (s *engine) insertQuotas(ctx context.Context, t *ingestTx, rows []quotaRow) (created int64, err error) {
	write := func(i int, w RowWriter) { rows[i].write(w) }
	if s.rowLocks() {
		// Postgres: from arrays (see unnestRows), in one statement.
		created, err = t.execCount(ctx, quotaInsert.text(t.db.Dialect(), len(rows), write))
	} else {
		created, err = execPrepared(ctx, t.prepared, rowsStatement{head: quotaInsertHead + "VALUES ", tail: quotaInsert.tail,
			width: len(quotaColumns), n: len(rows), write: write})
	}
	if err != nil {
		return 0, fmt.Errorf("create quota rows: %w", err)
	}
	return created, nil
}

// selectQuotas reads the quota rows with the given IDs, in order, into quotas and
// their open hours into hours, locking them, if lock is set, where the backend has
// row locks.
func (s *engine) selectQuotas(ctx context.Context, t *ingestTx, ids []string, quotas map[string]store.Quota, hours openHours, lock bool) error {
	for chunk := range slices.Chunk(ids, chunkSize) {
		q := t.db.NewSelect().Model((*quotaRow)(nil)).Column(quotaColumns...).Order("id")
		versioned := lock && s.dialect.RowVersion != nil
		if s.rowLocks() {
			// Postgres plans an IN list element by element; an array is parsed once.
			q = q.Where("id = ANY(?)", bun.Safe(textArray(t.db.Dialect(), chunk)))
			if lock {
				q = q.For("UPDATE")
			}
			if versioned {
				q = q.ColumnExpr(s.dialect.RowVersion.Read).ColumnExpr(s.dialect.RowVersion.Current)
			}
		} else {
			q = q.Where("id IN ?", bun.Tuple(chunk))
		}
		if err := scanQuotas(ctx, t, q, quotas, hours, versioned); err != nil {
			return fmt.Errorf("read quota rows: %w", err)
		}
	}
	return nil
}

// scanQuotas runs q, which selects quotaColumns, and adds its rows to quotas and
// their open hours to hours; with versioned, q selects each row's version and the
// transaction's after them (see RowVersion), which go into t. It
// scans each row's columns itself: every batch reads its quota rows, and bun's
// scanning by reflection took a tenth of Ingest's CPU in a profile of the client.
func scanQuotas(ctx context.Context, t *ingestTx, q *bun.SelectQuery, quotas map[string]store.Quota, hours openHours, versioned bool) error {
	rows, err := t.query(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	var r quotaRow
	fields := r.fields()
	if versioned {
		fields = append(fields, &r.Version, &t.version)
		if t.rowVersions == nil {
			t.rowVersions = map[string]int64{}
		}
	}
	for rows.Next() {
		if err := rows.Scan(fields...); err != nil {
			return err
		}
		quotas[r.ID] = r.quota()
		hours[r.ID] = r.Hour.rollup(r.Subject, r.Metric)
		if versioned {
			t.rowVersions[r.ID] = r.Version
		}
	}
	return rows.Err()
}

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
		arrays: &arrayForm{head: setCounters + "(SELECT * FROM ", tail: ") AS v WHERE q.id = v.id",
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
	// keyOrder makes the transaction's next UPDATE lock its rows in key order. It
	// locks each row as it reaches it; with the joins and scans that read a table
	// in its own order turned off, and the loop's inner side never kept (which
	// would let a scan of the whole key drive it), it can reach them only through
	// the key's index, one lookup per row of v, which versionedCompareAndSet sorts
	// as lockQuotas's ORDER BY does. Rows written by several processes at once
	// were seen to deadlock all the same (in the tests that kill processes as they
	// write), so
	// the UPDATE waits for a row at most a few milliseconds (lock_timeout), then
	// fails, and the attempt runs again (Dialect.Retryable) until it finds the row
	// changed and reads and locks it (staleQuotasError): it is never the one a
	// cycle of waits waits for.
	keyOrder = "SET LOCAL enable_hashjoin = off;\nSET LOCAL enable_mergejoin = off;\n" +
		"SET LOCAL enable_seqscan = off;\nSET LOCAL enable_bitmapscan = off;\nSET LOCAL enable_material = off;\n" +
		"SET LOCAL lock_timeout = '2ms';\n"
)

// resetKeyOrder undoes keyOrder for the rest of the transaction. Ingest runs it
// among the statements after the rollup upserts, which read their rows from arrays
// without a join, so the plan settings change nothing for them; they seldom wait
// for a row (one is written under its quota row's lock, but for an hour that two
// periods share), and a wait past lock_timeout only runs the attempt again.
var resetKeyOrder = []string{"RESET enable_hashjoin", "RESET enable_mergejoin", "RESET enable_seqscan",
	"RESET enable_bitmapscan", "RESET enable_material", "RESET lock_timeout"}

// quotaInsertHead begins insertQuotas's statement, up to where its rows go.
var quotaInsertHead = "INSERT INTO usage_quotas (" + strings.Join(quotaColumns, ", ") + ") "

// quotaInsert is insertQuotas's statement on Postgres around its rows; on SQLite
// the rows go in a VALUES list after quotaInsertHead, prepared.
var quotaInsert = arrayForm{head: quotaInsertHead + "SELECT * FROM ",
	tail: " ON CONFLICT (id) DO NOTHING", names: quotaColumns, types: quotaTypes}

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
