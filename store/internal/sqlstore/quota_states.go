package sqlstore

import "sync"

// quotaStates remembers, for Ingest, quota rows as this store last committed them.
// A batch whose rows are all known decides against them without reading them, and
// writes its counters only if the rows are still as remembered (see
// compareAndSetQuotas): a row another instance, a correction or a plan change
// wrote since fails the comparison, and the batch runs again reading and locking
// its rows. A row found changed is then read and locked by every batch, as rows of
// subjects that several instances charge at once are best: a remembered one would
// fail the comparison nearly every time. It holds at most a fixed number of rows;
// past that, a new row takes the place of one that no batch has decided against
// lately (see clockMap), so memory stays bounded whatever the number of subjects,
// and the subjects that keep sending stay known. Where writers take turns on one
// connection (SQLite), a row committed since the store last lost sight of the
// database's writes (see engine.look) is as remembered for certain, and is written
// without the comparison, only if the batch changes it.
type quotaStates struct {
	mu   sync.RWMutex
	rows *clockMap[string, quotaState]
	// versioned is set where the database keeps row versions (see RowVersion): a
	// row is known only with its version.
	versioned bool
}

// quotaState is a remembered quota row: if known is set, it held these values when
// this store last committed it (the columns its key does not give). A contended
// row is not known again.
type quotaState struct {
	used, count, total, lastAt, updatedAt, limit, periodEnd int64
	hour                                                    openHour
	aggregation                                             string
	version                                                 int64
	unlimited, allowOverage, known, contended               bool
	// sight is the count of engine.sight when the row was committed (see
	// engine.look).
	sight uint64
}

func stateOf(r quotaRow, sight uint64) quotaState {
	return quotaState{used: r.Used, count: r.Count, total: r.Total, lastAt: r.LastAt,
		updatedAt: r.UpdatedAt, limit: r.Limit, periodEnd: r.PeriodEnd, hour: r.Hour, aggregation: r.Aggregation,
		version: r.Version, unlimited: r.Unlimited, allowOverage: r.AllowOverage, known: true, sight: sight}
}

// row returns key, a row with the ID, subject, metric and period start of the
// row remembered, with the values remembered.
func (st quotaState) row(key quotaRow) quotaRow {
	key.Used, key.Count, key.Total, key.LastAt, key.UpdatedAt = st.used, st.count, st.total, st.lastAt, st.updatedAt
	key.Limit, key.PeriodEnd, key.Hour, key.Aggregation = st.limit, st.periodEnd, st.hour, st.aggregation
	key.Unlimited, key.AllowOverage, key.Version = st.unlimited, st.allowOverage, st.version
	return key
}

func newQuotaStates(size int, versioned bool) *quotaStates {
	return &quotaStates{rows: newClockMap[string, quotaState](size), versioned: versioned}
}

// known returns keys, rows in ID order, with their values as remembered, and for
// each whether it was committed under sight, a count of engine.sight other than
// zero; or false if any of them is not known.
func (s *quotaStates) known(keys []quotaRow, sight uint64) (rows []quotaRow, inSight []bool, ok bool) {
	rows, inSight = make([]quotaRow, len(keys)), make([]bool, len(keys))
	s.mu.RLock()
	defer s.mu.RUnlock()
	for i, key := range keys {
		st, _ := s.rows.get(key.ID)
		if !st.known {
			return nil, nil, false
		}
		rows[i], inSight[i] = st.row(key), sight != 0 && st.sight == sight
	}
	return rows, inSight, true
}

// committed records rows as a transaction that committed under sight, a count of
// engine.sight, left them.
func (s *quotaStates) committed(rows []quotaRow, sight uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rows {
		held, _ := s.rows.get(r.ID)
		switch {
		case held.contended:
		case s.versioned && r.Version == 0:
			// Its version is not known: the next batch reads and locks it.
			s.rows.put(r.ID, quotaState{})
		default:
			s.rows.put(r.ID, stateOf(r, sight))
		}
	}
}

// forget records that the rows of ids are no longer known.
func (s *quotaStates) forget(ids []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if held, ok := s.rows.get(id); ok {
			s.rows.put(id, quotaState{contended: held.contended})
		}
	}
}

// contended records that another writer changed the rows of ids since this store
// wrote them.
func (s *quotaStates) contended(ids []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		s.rows.put(id, quotaState{contended: true})
	}
}
