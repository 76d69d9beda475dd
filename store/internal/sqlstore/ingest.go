package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// chunkSize bounds the rows of one statement, keeping statements well inside both
// backends' limits on query size.
const chunkSize = 500

type eventKey struct{ subject, id string }

type distinctKey struct{ quotaID, value string }

type quotaKey struct {
	subject, metric string
	periodStart     int64
}

// Ingest does the work of Store.Ingest.
func (s *engine) Ingest(ctx context.Context, params *store.IngestParams) (*store.IngestResult, error) {
	if len(params.Events) == 0 {
		return &store.IngestResult{}, nil
	}
	// Events are inserted on the assumption that they are new, which they nearly
	// always are, with a plain INSERT: cheaper than one that resolves conflicts. If
	// one was stored already, the attempt fails on the unique key and runs again,
	// having first read which of the batch's events are stored.
	//
	// Where rows are locked, an attempt that finds quota rows missing runs again,
	// creating them first (see lockQuotas). The first attempt creates at once the
	// rows this store has not seen (see quotasToCreate).
	readStored := false
	create := s.quotasToCreate(params)
	for {
		var result *store.IngestResult
		err := s.inIngestTx(ctx, func(ctx context.Context, t *ingestTx) error {
			var err error
			result, err = s.ingest(ctx, t, params, readStored, create)
			return err
		})
		if errors.Is(err, errAlreadyStored) {
			readStored = true
			continue
		}
		if missing := (*missingQuotasError)(nil); errors.As(err, &missing) {
			create = missing.rows
			continue
		}
		if err != nil {
			return nil, err
		}
		s.rememberQuotas(create)
		return result, nil
	}
}

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

// errAlreadyStored aborts an attempt of Ingest that found one of the events it took
// for new stored already.
var errAlreadyStored = errors.New("sqlstore: an event is stored already")

// ingest runs one attempt of Ingest inside t. Only the work that depends on the
// quotas is done while their rows are locked, which is as long as a concurrent
// batch for the same subjects has to wait: it builds the rows first; then it locks
// the batch's quota rows, reads the events stored already (if readStored) and the
// distinct values already counted, decides every event in order in memory, and
// writes the new events, distinct values, quota rows and hourly rollups. If an
// event it took for new is stored already, it returns errAlreadyStored. It creates
// the quota rows of create, if they are missing, before it locks any.
func (s *engine) ingest(ctx context.Context, t *ingestTx, params *store.IngestParams, readStored bool, create []quotaRow) (*store.IngestResult, error) {
	n := len(params.Events)
	sc := getScratch(n)
	defer sc.release()
	rows, qids, earlier, last := sc.rows, sc.qids, sc.earlier, sc.last
	specs := map[string]quotaRow{}
	ids := map[quotaKey]string{} // the IDs in specs, built once per quota
	for i, ie := range params.Events {
		ev := ie.Event
		ev.PeriodStart, ev.CreatedAt = ie.Quota.PeriodStart, params.Now
		var err error
		if rows[i], err = newEventRow(ev); err != nil {
			return nil, fmt.Errorf("event %d (%s): properties: %w", i, ie.Event.ID, err)
		}
		qk := quotaKey{ev.Subject, ev.Metric, micros(ie.Quota.PeriodStart)}
		if qids[i] = ids[qk]; qids[i] == "" {
			row := newQuotaRow(quotaOf(ie, params.Now))
			ids[qk], qids[i], specs[row.ID] = row.ID, row.ID, row
		}
		// A repeat is decided against the earlier event, if that was stored.
		key := eventKey{ev.Subject, ev.ID}
		earlier[i] = -1
		if j, ok := last[key]; ok {
			earlier[i] = j
		}
		last[key] = i
	}

	if len(create) > 0 {
		if err := insertQuotas(ctx, t, create); err != nil {
			return nil, err
		}
	}
	quotas, err := s.lockQuotas(ctx, t, specs)
	if err != nil {
		return nil, err
	}
	var keys []eventKey
	if readStored {
		keys = make([]eventKey, 0, len(last))
		for k := range last {
			keys = append(keys, k)
		}
	}
	stored, err := existingEvents(ctx, t.db, keys)
	if err != nil {
		return nil, err
	}
	seen, err := existingDistinct(ctx, t.db, params.Events)
	if err != nil {
		return nil, err
	}
	dims, err := readAdmitted(ctx, t.db, params.Events, s.kept)
	if err != nil {
		return nil, err
	}

	outcomes := make([]store.Outcome, n)
	dirty := map[string]bool{}
	hourly := rollups{}
	// The new events' rows are gathered at the front of rows: event i's row is at
	// i or after, so nothing is overwritten before it is read.
	newEvents := rows[:0]
	var newDistinct []distinctRow
	for i, ie := range params.Events {
		qid := qids[i]
		q := quotas[qid]
		prev, ok := stored[eventKey{ie.Event.Subject, ie.Event.ID}]
		for j := earlier[i]; !ok && j >= 0; j = earlier[j] {
			if ok = outcomes[j].Status == store.StatusInserted; ok {
				prev = asStored(params.Events[j], outcomes[j].UsedAfter, params.Now)
			}
		}
		if ok {
			outcomes[i] = replay(prev, ie.Event, q.Limit)
			continue
		}
		dk := distinctKey{qid, ie.Quota.Distinct}
		isNew := q.Aggregation == store.AggregationUniqueCount && !seen[dk]
		next, err := q.Apply(ie.Event.Value, ie.Event.Time, isNew)
		if errors.Is(err, store.ErrOverflow) {
			// One event past the range refuses itself, not the batch it shares.
			outcomes[i] = store.Outcome{Status: store.StatusOverflow, UsedBefore: q.Used, Limit: q.Limit}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("event %d (%s): %w", i, ie.Event.ID, err)
		}
		if next.Refuses(q.Used) {
			outcomes[i] = store.Outcome{Status: store.StatusQuotaExceeded,
				UsedBefore: q.Used, UsedAfter: next.Used, Limit: q.Limit}
			continue
		}
		next.UpdatedAt = params.Now
		quotas[qid] = next
		dirty[qid] = true
		if isNew {
			seen[dk] = true
			newDistinct = append(newDistinct, distinctRow{QuotaID: qid, Value: ie.Quota.Distinct})
		}
		row := rows[i]
		row.UsedAfter = next.Used
		newEvents = append(newEvents, row)
		hourly.add(ie.Event, dims.keep(ie))
		outcomes[i] = store.Outcome{Status: store.StatusInserted,
			UsedBefore: q.Used, UsedAfter: next.Used, Limit: q.Limit}
	}

	if !readStored {
		if err := replayRefused(ctx, t.db, params.Events, outcomes); err != nil {
			return nil, err
		}
	}
	bulk := append([]rowsStatement{quotaCounters(quotas, dirty)}, hourly.statements()...)
	rest := append(distinctInserts(t.db, newDistinct), dims.statements(t.db)...)
	rest = append(rest, alertCrossings(t.db, params, qids, outcomes, quotas)...)
	if err := s.writeBatch(ctx, t, newEvents, bulk, rest); err != nil {
		return nil, err
	}
	locked := make([]store.Quota, 0, len(quotas))
	for _, q := range quotas {
		locked = append(locked, q)
	}
	return &store.IngestResult{Outcomes: outcomes, Quotas: locked}, nil
}

// asStored is ie's event as Ingest stores it, with the usage after it.
func asStored(ie store.IngestEvent, usedAfter int64, now time.Time) store.Event {
	ev := ie.Event
	ev.PeriodStart, ev.UsedAfter, ev.CreatedAt = ie.Quota.PeriodStart, usedAfter, now
	return ev
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

// replayRefused turns the refusals of events that turn out to be stored already
// into the replays (or conflicts) they are: an event taken for new is refused before
// its insert could find it stored, and a retry after a lost reply must not be told
// the quota is exhausted by its own first attempt. A refusal changed no usage, so
// the batch's other decisions stand.
func replayRefused(ctx context.Context, tx bun.IDB, events []store.IngestEvent, outcomes []store.Outcome) error {
	var keys []eventKey
	for i, o := range outcomes {
		if refused(o.Status) {
			keys = append(keys, eventKey{events[i].Event.Subject, events[i].Event.ID})
		}
	}
	stored, err := existingEvents(ctx, tx, keys)
	if err != nil || len(stored) == 0 {
		return err
	}
	for i, o := range outcomes {
		if prev, ok := stored[eventKey{events[i].Event.Subject, events[i].Event.ID}]; ok && refused(o.Status) {
			outcomes[i] = replay(prev, events[i].Event, o.Limit)
		}
	}
	return nil
}

// refused reports whether an event of the status was refused without being stored.
func refused(s store.Status) bool {
	return s == store.StatusQuotaExceeded || s == store.StatusOverflow
}

// replay is the outcome of an event whose subject and ID are stored already as
// prev: a duplicate if its payload is the same, else a conflict.
func replay(prev, ev store.Event, limit int64) store.Outcome {
	status := store.StatusDuplicate
	if prev.Fingerprint != ev.Fingerprint {
		status = store.StatusConflict
	}
	return store.Outcome{Status: status, Stored: &prev,
		UsedBefore: prev.UsedAfter, UsedAfter: prev.UsedAfter, Limit: limit}
}

// existingEvents returns the stored events with the given subjects and IDs.
func existingEvents(ctx context.Context, tx bun.IDB, keys []eventKey) (map[eventKey]store.Event, error) {
	out := map[eventKey]store.Event{}
	for chunk := range slices.Chunk(keys, chunkSize) {
		var rows []eventRow
		values, args := valuesList(chunk, "(?, ?)", func(args []any, k eventKey) []any { return append(args, k.subject, k.id) })
		if err := tx.NewSelect().Model(&rows).
			Where("(subject, event_id) IN (VALUES "+values+")", args...).Scan(ctx); err != nil {
			return nil, fmt.Errorf("read stored events: %w", err)
		}
		for _, r := range rows {
			ev, err := r.event()
			if err != nil {
				return nil, fmt.Errorf("read stored event %s: %w", r.EventID, err)
			}
			out[eventKey{r.Subject, r.EventID}] = ev
		}
	}
	return out, nil
}

// existingDistinct returns which of the batch's unique_count values their quotas
// have already counted.
func existingDistinct(ctx context.Context, tx bun.IDB, events []store.IngestEvent) (map[distinctKey]bool, error) {
	var keys []distinctKey
	for _, ie := range events {
		if ie.Quota.Aggregation == store.AggregationUniqueCount {
			qid := quotaID(ie.Event.Subject, ie.Event.Metric, micros(ie.Quota.PeriodStart))
			keys = append(keys, distinctKey{qid, ie.Quota.Distinct})
		}
	}
	out := map[distinctKey]bool{}
	for chunk := range slices.Chunk(keys, chunkSize) {
		var rows []distinctRow
		values, args := valuesList(chunk, "(?, ?)", func(args []any, k distinctKey) []any { return append(args, k.quotaID, k.value) })
		if err := tx.NewSelect().Model(&rows).
			Where("(quota_id, value) IN (VALUES "+values+")", args...).Scan(ctx); err != nil {
			return nil, fmt.Errorf("read distinct values: %w", err)
		}
		for _, r := range rows {
			out[distinctKey{r.QuotaID, r.Value}] = true
		}
	}
	return out, nil
}

// distinctInserts returns the inserts of a batch's new distinct values.
func distinctInserts(tx bun.IDB, distinct []distinctRow) []string {
	var stmts []string
	for chunk := range slices.Chunk(distinct, chunkSize) {
		stmts = append(stmts, tx.NewInsert().Model(&chunk).String())
	}
	return stmts
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

// valuesList renders row, such as "(?, ?)", once per item, separated by commas,
// for a VALUES list (the form of row-value lists both backends accept), and the
// arguments that add appends for each item, in order.
func valuesList[T any](items []T, row string, add func(args []any, item T) []any) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, strings.Count(row, "?")*len(items))
	for i, it := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
		args = add(args, it)
	}
	return b.String(), args
}
