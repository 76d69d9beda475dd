package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// chunkSize bounds the rows of one statement, keeping statements well inside both
// backends' limits on query size.
const chunkSize = 500

type eventKey struct{ subject, id string }

type distinctKey struct{ quotaID, value string }

// Ingest implements store.Store.
func (s *Store) Ingest(ctx context.Context, params *store.IngestParams) (*store.IngestResult, error) {
	if len(params.Events) == 0 {
		return &store.IngestResult{}, nil
	}
	// Events are inserted on the assumption that they are new, which they nearly
	// always are, with a plain INSERT: cheaper than one that resolves conflicts. If
	// one was stored already, the attempt fails on the unique key and runs again,
	// having first read which of the batch's events are stored.
	readStored := false
	for {
		var result *store.IngestResult
		err := s.inWriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			var err error
			result, err = s.ingest(ctx, tx, params, readStored)
			return err
		})
		if errors.Is(err, errAlreadyStored) {
			readStored = true
			continue
		}
		if err != nil {
			return nil, err
		}
		return result, nil
	}
}

// errAlreadyStored aborts an attempt of Ingest that found one of the events it took
// for new stored already.
var errAlreadyStored = errors.New("sqlstore: an event is stored already")

// ingest runs one attempt of Ingest inside tx. It locks the batch's quota rows,
// reads the events stored already (if readStored) and the distinct values already
// counted, decides every event in order in memory, then writes the new events,
// distinct values, quota rows and hourly rollups (in one round trip on a server). If
// an event it took for new is stored already, it returns errAlreadyStored.
func (s *Store) ingest(ctx context.Context, tx bun.Tx, params *store.IngestParams, readStored bool) (*store.IngestResult, error) {
	quotas, err := s.lockQuotas(ctx, tx, params)
	if err != nil {
		return nil, err
	}
	var keys []eventKey
	if readStored {
		keys = make([]eventKey, len(params.Events))
		for i, ie := range params.Events {
			keys[i] = eventKey{ie.Event.Subject, ie.Event.ID}
		}
	}
	stored, err := existingEvents(ctx, tx, keys)
	if err != nil {
		return nil, err
	}
	seen, err := existingDistinct(ctx, tx, params.Events)
	if err != nil {
		return nil, err
	}

	outcomes := make([]store.Outcome, len(params.Events))
	dirty := map[string]bool{}
	hourly := rollups{}
	var newEvents []eventRow
	var newDistinct []distinctRow
	for i, ie := range params.Events {
		key := eventKey{ie.Event.Subject, ie.Event.ID}
		qid := quotaID(ie.Event.Subject, ie.Event.Metric, micros(ie.Quota.PeriodStart))
		q := quotas[qid]
		if prev, ok := stored[key]; ok {
			status := store.StatusDuplicate
			if prev.Fingerprint != ie.Event.Fingerprint {
				status = store.StatusConflict
			}
			outcomes[i] = store.Outcome{Status: status, Event: prev,
				UsedBefore: prev.UsedAfter, UsedAfter: prev.UsedAfter, Quota: q}
			continue
		}
		dk := distinctKey{qid, ie.Quota.Distinct}
		isNew := q.Aggregation == store.AggregationUniqueCount && !seen[dk]
		next, err := q.Apply(ie.Event.Value, ie.Event.Time, isNew)
		if err != nil {
			return nil, fmt.Errorf("event %d (%s): %w", i, ie.Event.ID, err)
		}
		if next.Refuses(q.Used) {
			outcomes[i] = store.Outcome{Status: store.StatusQuotaExceeded,
				UsedBefore: q.Used, UsedAfter: next.Used, Quota: q}
			continue
		}
		next.UpdatedAt = params.Now
		quotas[qid] = next
		dirty[qid] = true
		if isNew {
			seen[dk] = true
			newDistinct = append(newDistinct, distinctRow{QuotaID: qid, Value: ie.Quota.Distinct})
		}
		ev := ie.Event
		ev.PeriodStart = ie.Quota.PeriodStart
		ev.UsedAfter = next.Used
		ev.CreatedAt = params.Now
		row, err := newEventRow(ev)
		if err != nil {
			return nil, fmt.Errorf("event %d (%s): properties: %w", i, ie.Event.ID, err)
		}
		newEvents = append(newEvents, row)
		hourly.add(ev)
		stored[key] = ev
		outcomes[i] = store.Outcome{Status: store.StatusInserted, Event: ev,
			UsedBefore: q.Used, UsedAfter: next.Used, Quota: next}
	}

	rest := writeBack(tx, newDistinct, quotas, dirty, hourly)
	seqs, err := s.writeBatch(ctx, tx, newEvents, rest)
	if err != nil {
		return nil, err
	}
	for i := range outcomes {
		if seq, ok := seqs[eventKey{outcomes[i].Event.Subject, outcomes[i].Event.ID}]; ok && outcomes[i].Event.Seq == 0 {
			outcomes[i].Event.Seq = seq
		}
	}
	return &store.IngestResult{Outcomes: outcomes}, nil
}

// lockQuotas returns the batch's quota rows by ID, locked for the transaction,
// creating the missing ones. Rows are locked in key order, so concurrent batches do
// not deadlock on rows that exist; creating rows (once a period) locks them after
// the others, and the rare deadlock that can cause is retried like any other.
func (s *Store) lockQuotas(ctx context.Context, tx bun.Tx, params *store.IngestParams) (map[string]store.Quota, error) {
	specs := map[string]quotaRow{}
	for _, ie := range params.Events {
		q := store.Quota{
			Subject: ie.Event.Subject, Metric: ie.Event.Metric,
			PeriodStart: ie.Quota.PeriodStart, PeriodEnd: ie.Quota.PeriodEnd,
			Aggregation: ie.Quota.Aggregation, Limit: ie.Quota.Limit,
			Unlimited: ie.Quota.Unlimited, AllowOverage: ie.Quota.AllowOverage,
			UpdatedAt: params.Now,
		}
		row := newQuotaRow(q)
		specs[row.ID] = row
	}
	ids := make([]string, 0, len(specs))
	for id := range specs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	quotas := make(map[string]store.Quota, len(ids))
	if err := s.selectQuotas(ctx, tx, ids, quotas); err != nil {
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
	for chunk := range slices.Chunk(missing, chunkSize) {
		if _, err := tx.NewInsert().Model(&chunk).On("CONFLICT (id) DO NOTHING").Exec(ctx); err != nil {
			return nil, fmt.Errorf("create quota rows: %w", err)
		}
	}
	if err := s.selectQuotas(ctx, tx, missingIDs, quotas); err != nil {
		return nil, err
	}
	if len(quotas) != len(ids) {
		return nil, fmt.Errorf("lock quota rows: found %d of %d", len(quotas), len(ids))
	}
	return quotas, nil
}

// selectQuotas reads the quota rows with the given IDs, in order, into quotas,
// locking them where the backend has row locks.
func (s *Store) selectQuotas(ctx context.Context, tx bun.Tx, ids []string, quotas map[string]store.Quota) error {
	for chunk := range slices.Chunk(ids, chunkSize) {
		var rows []quotaRow
		q := tx.NewSelect().Model(&rows).Where("id IN ?", bun.Tuple(chunk)).Order("id")
		if s.dialect.RowLocks {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			return fmt.Errorf("lock quota rows: %w", err)
		}
		for _, r := range rows {
			quotas[r.ID] = r.quota()
		}
	}
	return nil
}

// existingEvents returns the stored events with the given subjects and IDs.
func existingEvents(ctx context.Context, tx bun.Tx, keys []eventKey) (map[eventKey]store.Event, error) {
	out := map[eventKey]store.Event{}
	for chunk := range slices.Chunk(keys, chunkSize) {
		var rows []eventRow
		values, args := pairValues(chunk, func(k eventKey) (string, string) { return k.subject, k.id })
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
func existingDistinct(ctx context.Context, tx bun.Tx, events []store.IngestEvent) (map[distinctKey]bool, error) {
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
		values, args := pairValues(chunk, func(k distinctKey) (string, string) { return k.quotaID, k.value })
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

// writeBack returns the statements that write a batch's new distinct values,
// changed quota rows and hourly rollups. The quota rows are upserted (they exist and
// are locked), a form both backends accept for many rows at once.
func writeBack(tx bun.Tx, distinct []distinctRow, quotas map[string]store.Quota, dirty map[string]bool, hourly rollups) []string {
	var stmts []string
	for chunk := range slices.Chunk(distinct, chunkSize) {
		stmts = append(stmts, tx.NewInsert().Model(&chunk).String())
	}
	rows := make([]quotaRow, 0, len(dirty))
	for id := range dirty {
		rows = append(rows, newQuotaRow(quotas[id]))
	}
	slices.SortFunc(rows, func(a, b quotaRow) int { return strings.Compare(a.ID, b.ID) })
	for chunk := range slices.Chunk(rows, chunkSize) {
		stmts = append(stmts, tx.NewInsert().Model(&chunk).
			On("CONFLICT (id) DO UPDATE").
			Set("used = EXCLUDED.used, count = EXCLUDED.count, total = EXCLUDED.total").
			Set("last_at = EXCLUDED.last_at, updated_at = EXCLUDED.updated_at").
			String())
	}
	return append(stmts, hourly.statements(tx)...)
}

func insertDistinct(ctx context.Context, tx bun.Tx, rows []distinctRow) error {
	for chunk := range slices.Chunk(rows, chunkSize) {
		if _, err := tx.NewInsert().Model(&chunk).Exec(ctx); err != nil {
			return fmt.Errorf("insert distinct values: %w", err)
		}
	}
	return nil
}

// pairValues renders "(?, ?), (?, ?)…" and its arguments for a row-value IN list,
// the form both backends accept.
func pairValues[T any](items []T, pair func(T) (string, string)) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, 2*len(items))
	for i, it := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?)")
		a, c := pair(it)
		args = append(args, a, c)
	}
	return b.String(), args
}
