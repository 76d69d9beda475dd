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
	v := s.dialect.RowVersion
	versioned := lock && v != nil
	for chunk := range slices.Chunk(ids, chunkSize) {
		q := t.db.NewSelect().Model((*quotaRow)(nil)).Column(quotaColumns...).Order("id")
		if s.rowLocks() {
			// Postgres plans an IN list element by element; an array is parsed once.
			q = q.Where("id = ANY(?)", bun.Safe(textArray(t.db.Dialect(), chunk)))
			if lock {
				q = q.For("UPDATE")
			}
		} else {
			q = q.Where("id IN ?", bun.Tuple(chunk))
		}
		if versioned {
			q = q.ColumnExpr(v.Read).ColumnExpr(v.Current)
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

// quotaInsertHead begins insertQuotas's statement, up to where its rows go.
var quotaInsertHead = "INSERT INTO usage_quotas (" + strings.Join(quotaColumns, ", ") + ") "

// quotaInsert is insertQuotas's statement on Postgres around its rows; on SQLite
// the rows go in a VALUES list after quotaInsertHead, prepared.
var quotaInsert = arrayForm{head: quotaInsertHead + "SELECT * FROM ",
	tail: " ON CONFLICT (id) DO NOTHING", names: quotaColumns, types: quotaTypes}
