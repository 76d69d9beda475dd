package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// quotasToCreate returns the quota rows of the batch that this store has not seen
// in the database, in key order, to be created before any row is locked, as rows
// found missing are (see lockQuotas). A batch that meets subjects for the first time
// in a period then locks its rows in its first attempt, instead of finding them
// missing in an attempt that is rolled back and run again. Creating a row that
// exists already leaves it as it is.
func (s *engine) quotasToCreate(params *store.IngestParams) []quotaRow {
	var create []quotaRow
	seen := map[quotaKey]bool{}
	for _, ie := range params.Events {
		qk := quotaKey{ie.Event.Subject, ie.Event.Metric, micros(ie.Quota.PeriodStart)}
		if seen[qk] {
			continue
		}
		seen[qk] = true
		if !s.quotas.has(quotaID(qk.subject, qk.metric, qk.periodStart)) {
			create = append(create, newQuotaRow(quotaOf(ie, params.Now)))
		}
	}
	slices.SortFunc(create, func(a, b quotaRow) int { return strings.Compare(a.ID, b.ID) })
	return create
}

// rememberQuotas records rows, created by a committed batch or found there, as
// existing.
func (s *engine) rememberQuotas(rows []quotaRow) {
	if len(rows) == 0 {
		return
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	s.quotas.remember(ids)
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

// lockQuotas returns the quota rows of specs (by ID) locked for the transaction,
// in key order, so that concurrent batches do not deadlock. Where rows are locked,
// a missing row is not created here: a row created after the rows already locked
// would be locked out of key order, and when every subject's first event of a
// period comes from several instances at once, such deadlocks chain. It returns a
// *missingQuotasError instead, and the next attempt creates the rows before it
// locks any: creating rows waits only for transactions creating the same rows, in
// the same order, before they lock anything, so no cycle of waits can form. Where
// writers are serialised, it creates missing rows itself.
func (s *engine) lockQuotas(ctx context.Context, t *ingestTx, specs map[string]quotaRow) (map[string]store.Quota, error) {
	ids := make([]string, 0, len(specs))
	for id := range specs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	quotas := make(map[string]store.Quota, len(ids))
	if err := s.selectQuotas(ctx, t, ids, quotas); err != nil {
		return nil, err
	}
	var missing []quotaRow
	var missingIDs []string
	for _, id := range ids {
		if _, ok := quotas[id]; !ok {
			missing = append(missing, specs[id])
			missingIDs = append(missingIDs, id)
		}
	}
	if len(missing) == 0 {
		return quotas, nil
	}
	if s.rowLocks() {
		return nil, &missingQuotasError{rows: missing}
	}
	if err := insertQuotas(ctx, t, missing); err != nil {
		return nil, err
	}
	if err := s.selectQuotas(ctx, t, missingIDs, quotas); err != nil {
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
// in one round trip.
func insertQuotas(ctx context.Context, t *ingestTx, rows []quotaRow) error {
	var stmts []string
	for chunk := range slices.Chunk(rows, chunkSize) {
		stmts = append(stmts, t.db.NewInsert().Model(&chunk).On("CONFLICT (id) DO NOTHING").String())
	}
	if err := t.exec(ctx, strings.Join(stmts, ";\n")); err != nil {
		return fmt.Errorf("create quota rows: %w", err)
	}
	return nil
}

// selectQuotas reads the quota rows with the given IDs, in order, into quotas,
// locking them where the backend has row locks.
func (s *engine) selectQuotas(ctx context.Context, t *ingestTx, ids []string, quotas map[string]store.Quota) error {
	for chunk := range slices.Chunk(ids, chunkSize) {
		q := t.db.NewSelect().Model((*quotaRow)(nil)).Column(quotaColumns...).
			Where("id IN ?", bun.Tuple(chunk)).Order("id")
		if s.rowLocks() {
			q = q.For("UPDATE")
		}
		if err := scanQuotas(ctx, t, q, quotas); err != nil {
			return fmt.Errorf("lock quota rows: %w", err)
		}
	}
	return nil
}

// scanQuotas runs q, which selects quotaColumns, and adds its rows to quotas. It
// scans each row's columns itself: every batch reads its quota rows, and bun's
// scanning by reflection took a tenth of Ingest's CPU in a profile of the client.
func scanQuotas(ctx context.Context, t *ingestTx, q *bun.SelectQuery, quotas map[string]store.Quota) error {
	rows, err := t.query(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	var r quotaRow
	fields := r.fields()
	for rows.Next() {
		if err := rows.Scan(fields...); err != nil {
			return err
		}
		quotas[r.ID] = r.quota()
	}
	return rows.Err()
}

// quotaCounters returns the UPDATE that writes the counters of the quota rows of
// dirty, in ID order. The rows exist and are locked, so only the five columns that
// change are sent, as a VALUES list (whose columns both backends name column1…):
// a list of whole rows is nearly three times as long.
func quotaCounters(quotas map[string]store.Quota, dirty map[string]bool) rowsStatement {
	ids := make([]string, 0, len(dirty))
	for id := range dirty {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return rowsStatement{
		head: "UPDATE usage_quotas AS q SET used = v.column2, count = v.column3, total = v.column4, " +
			"last_at = v.column5, updated_at = v.column6 FROM (VALUES ",
		tail:  ") AS v WHERE q.id = v.column1",
		width: 6, n: len(ids),
		write: func(i int, w RowWriter) {
			q := quotas[ids[i]]
			w.Text(ids[i])
			for _, v := range [...]int64{q.Used, q.Count, q.Total, micros(q.LastAt), micros(q.UpdatedAt)} {
				w.Int(v)
			}
		},
	}
}
