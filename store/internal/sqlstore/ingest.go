package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

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
	// always are, with a plain INSERT: cheaper than one that resolves conflicts.
	// Those that may replay events this store stored lately are read first (see
	// recentEvents). If another was stored already, the attempt fails on the
	// unique key and runs again, having first read which of the batch's events
	// are stored.
	//
	// Where rows are locked, an attempt that finds quota rows missing runs again,
	// creating them first (see lockQuotas). The first attempt creates at once the
	// rows this store has not seen (see quotasToCreate). An attempt that decided
	// against remembered rows that turn out to have changed runs again, reading
	// them (see compareAndSetQuotas), and so does one that took for new a row that
	// exists (see insertFinalQuotas).
	readStored := false
	sc := getScratch(len(params.Events))
	defer sc.release()
	b := newBatchQuotas(params, sc.qids)
	create := s.quotasToCreate(b)
	for {
		var result *store.IngestResult
		var rows []quotaRow
		var sight uint64
		err := s.inIngestTx(ctx, func(ctx context.Context, t *ingestTx) error {
			var err error
			result, rows, err = s.ingest(ctx, t, params, sc, b, readStored, create)
			sight = t.sight
			return err
		}, func() {
			// Before another batch can decide against them.
			s.rememberQuotas(create, rows, sight)
		})
		if errors.Is(err, errAlreadyStored) {
			readStored = true
			continue
		}
		if errors.Is(err, errQuotaRowsExist) {
			s.insertFinal.Store(false)
			continue
		}
		if missing := (*missingQuotasError)(nil); errors.As(err, &missing) {
			create = missing.rows
			continue
		}
		if stale := (*staleQuotasError)(nil); errors.As(err, &stale) {
			s.quotaStates.forget(stale.ids)
			s.quotaStates.contended(stale.changed)
			continue
		}
		if err != nil {
			return nil, err
		}
		s.recent.add(params.Events, result.Outcomes)
		return result, nil
	}
}

// errAlreadyStored aborts an attempt of Ingest that found one of the events it took
// for new stored already.
var errAlreadyStored = errors.New("sqlstore: an event is stored already")

// ingest runs one attempt of Ingest inside t, with the call's scratch sc and the
// quota rows b of its events, and returns, beside its result, the batch's quota rows
// as it leaves them. Only the work that depends on the quotas is
// done while their rows are locked, which is as long as a concurrent batch for the
// same subjects has to wait: it builds the rows first; then it locks the batch's
// quota rows, reads the events stored already (if readStored) and the distinct
// values already counted, decides every event in order in memory, and writes the
// new events, distinct values, quota rows and hourly rollups. A batch whose quota
// rows this store remembers decides against them as remembered instead: it writes
// those committed in sight of every write since (see engine.look) by their key, if
// it changed them (quotaCounters), and locks the others only as it writes them, if
// they are unchanged (compareAndSetQuotas); the
// rows of create it then decides against as new and creates as it leaves them,
// before it locks any (insertFinalQuotas). If an event it took for new is stored
// already, it returns errAlreadyStored. Otherwise it creates the quota rows of
// create, if they are missing, before it locks any; when it created every one of
// them, it takes them as it wrote them and reads and locks only the others (a row
// a transaction inserted is its own until it commits).
func (s *engine) ingest(ctx context.Context, t *ingestTx, params *store.IngestParams, sc *scratch, b *batchQuotas, readStored bool, create []quotaRow) (*store.IngestResult, []quotaRow, error) {
	n := len(params.Events)
	rows, qids, earlier, last, specs := sc.rows, b.ids, sc.earlier, sc.last, b.ordered
	clear(last)
	for i, ie := range params.Events {
		ev := ie.Event
		ev.PeriodStart, ev.CreatedAt = ie.Quota.PeriodStart, params.Now
		var err error
		if rows[i], err = newEventRow(ev); err != nil {
			return nil, nil, fmt.Errorf("event %d (%s): properties: %w", i, ie.Event.ID, err)
		}
		// A repeat is decided against the earlier event, if that was stored.
		key := eventKey{ev.Subject, ev.ID}
		earlier[i] = -1
		if j, ok := last[key]; ok {
			earlier[i] = j
		}
		last[key] = i
	}

	// A batch whose quota rows are all known decides against them as remembered,
	// and locks them only when it writes them, if they are unchanged; rows it is to
	// create it decides against as new and creates as it leaves them.
	was, inSight, known := s.knownQuotas(specs, create, t.sight)
	var quotas map[string]store.Quota
	hours := make(openHours, len(specs))
	if known {
		quotas = make(map[string]store.Quota, len(specs))
		for _, r := range was {
			quotas[r.ID] = r.quota()
			hours[r.ID] = r.Hour.rollup(r.Subject, r.Metric)
		}
		takeAsNew(quotas, create)
	} else {
		lock := specs
		if len(create) > 0 {
			created, err := s.insertQuotas(ctx, t, create)
			if err != nil {
				return nil, nil, err
			}
			all := created == int64(len(create))
			if all {
				lock = withoutRows(specs, create)
			}
			// Rows this store has not seen that exist already would fail a batch
			// that creates them as it leaves them: it does so again only once
			// such rows are all new again.
			s.insertFinal.Store(all)
		}
		var err error
		if quotas, err = s.lockQuotas(ctx, t, lock, hours); err != nil {
			return nil, nil, err
		}
		if len(lock) < len(specs) {
			// The attempt created every row of create.
			takeAsNew(quotas, create)
		}
	}
	// The events stored already are read: every one after an attempt found one,
	// otherwise those that may replay events this store stored lately.
	var keys []eventKey
	if readStored {
		keys = make([]eventKey, 0, len(last))
		for k := range last {
			keys = append(keys, k)
		}
	} else {
		keys = s.recent.among(params.Events)
	}
	stored, err := existingEvents(ctx, t.db, keys)
	if err != nil {
		return nil, nil, err
	}
	seen, err := existingDistinct(ctx, t.db, params.Events)
	if err != nil {
		return nil, nil, err
	}
	dims, err := readAdmitted(ctx, t.db, params.Events, s.kept)
	if err != nil {
		return nil, nil, err
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
			return nil, nil, fmt.Errorf("event %d (%s): %w", i, ie.Event.ID, err)
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
		before := hours[qid]
		open := before
		hourly.add(ie.Event, dims.keep(ie), &open)
		if open != before { // the event began the row's open hour or a later one
			hours[qid] = open
		}
		outcomes[i] = store.Outcome{Status: store.StatusInserted,
			UsedBefore: q.Used, UsedAfter: next.Used, Limit: q.Limit}
	}

	if !readStored {
		if err := replayRefused(ctx, t.db, params.Events, outcomes); err != nil {
			return nil, nil, err
		}
	}
	bulk := hourly.statements()
	var rest []string
	if !known {
		bulk = append([]rowsStatement{quotaCounters(quotas, hours, dirty)}, bulk...)
		if s.rowLocks() {
			rest = append(rest, resetKeyOrder...) // the counters' byKeyIndex
		}
	} else {
		if len(create) > 0 {
			if err := s.insertFinalQuotas(ctx, t, create, quotas, hours); err != nil {
				return nil, nil, err
			}
		}
		compare, changed := toCompare(was, inSight, dirty)
		if len(compare) > 0 {
			if rest, err = s.compareAndSetQuotas(ctx, t, compare, quotas, hours); err != nil {
				return nil, nil, err
			}
		}
		if len(changed) > 0 {
			bulk = append([]rowsStatement{quotaCounters(quotas, hours, changed)}, bulk...)
		}
	}
	if err := s.learnVersion(ctx, t); err != nil {
		return nil, nil, err
	}
	rest = append(rest, distinctInserts(t.db, newDistinct)...)
	rest = append(rest, dims.statements(t.db)...)
	rest = append(rest, alertCrossings(t.db, params, qids, outcomes, quotas)...)
	if err := s.writeBatch(ctx, t, newEvents, bulk, rest); err != nil {
		return nil, nil, err
	}
	locked := make([]store.Quota, 0, len(quotas))
	left := make([]quotaRow, 0, len(quotas))
	for id, q := range quotas {
		locked = append(locked, q)
		r := hours.row(id, q)
		// Where rows have versions, a batch that decided against remembered rows
		// compared, and so wrote, every one it left.
		r.Version = t.versionOf(id, known || dirty[id])
		left = append(left, r)
	}
	return &store.IngestResult{Outcomes: outcomes, Quotas: locked}, left, nil
}

// asStored is ie's event as Ingest stores it, with the usage after it.
func asStored(ie store.IngestEvent, usedAfter int64, now time.Time) store.Event {
	ev := ie.Event
	ev.PeriodStart, ev.UsedAfter, ev.CreatedAt = ie.Quota.PeriodStart, usedAfter, now
	return ev
}
