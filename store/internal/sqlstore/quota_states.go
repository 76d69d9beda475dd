package sqlstore

import "sync"

// quotaStates remembers, for Ingest, quota rows as this store last committed them.
// A batch whose rows are all known decides against them without reading them, and
// writes its counters only if the rows are still as remembered (see
// compareAndSetQuotas): a row another instance, a correction or a plan change
// wrote since fails the comparison, and the batch runs again reading and locking
// its rows. A row found changed is then read and locked by every batch, as rows of
// subjects that several instances charge at once are best: a remembered one would
// fail the comparison nearly every time. It forgets everything when full, so
// memory stays bounded whatever the number of subjects: at maxQuotaStates, fewer
// than the rows known to exist (engine.quotas), as a remembered row costs several
// times the memory of a key.
type quotaStates struct {
	mu   sync.RWMutex
	rows map[string]quotaState
}

// maxQuotaStates bounds the rows a quotaStates remembers: more than the subjects a
// busy instance charges within a few seconds.
const maxQuotaStates = 1 << 14

// quotaState is a remembered quota row: if known is set, it held these values when
// this store last committed it (the columns its key does not give). A contended
// row is not known again.
type quotaState struct {
	used, count, total, lastAt, updatedAt, limit, periodEnd int64
	aggregation                                             string
	unlimited, allowOverage, known, contended               bool
}

func stateOf(r quotaRow) quotaState {
	return quotaState{used: r.Used, count: r.Count, total: r.Total, lastAt: r.LastAt,
		updatedAt: r.UpdatedAt, limit: r.Limit, periodEnd: r.PeriodEnd, aggregation: r.Aggregation,
		unlimited: r.Unlimited, allowOverage: r.AllowOverage, known: true}
}

// row returns key, a row with the ID, subject, metric and period start of the
// row remembered, with the values remembered.
func (st quotaState) row(key quotaRow) quotaRow {
	key.Used, key.Count, key.Total, key.LastAt, key.UpdatedAt = st.used, st.count, st.total, st.lastAt, st.updatedAt
	key.Limit, key.PeriodEnd, key.Aggregation = st.limit, st.periodEnd, st.aggregation
	key.Unlimited, key.AllowOverage = st.unlimited, st.allowOverage
	return key
}

func newQuotaStates() *quotaStates {
	return &quotaStates{rows: map[string]quotaState{}}
}

// known returns keys, rows in ID order, with their values as remembered, or false
// if any of them is not known.
func (s *quotaStates) known(keys []quotaRow) ([]quotaRow, bool) {
	rows := make([]quotaRow, len(keys))
	s.mu.RLock()
	defer s.mu.RUnlock()
	for i, key := range keys {
		st := s.rows[key.ID]
		if !st.known {
			return nil, false
		}
		rows[i] = st.row(key)
	}
	return rows, true
}

// committed records rows as a committed transaction left them.
func (s *quotaStates) committed(rows []quotaRow) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.makeRoom(len(rows))
	for _, r := range rows {
		if !s.rows[r.ID].contended {
			s.rows[r.ID] = stateOf(r)
		}
	}
}

// forget records that the rows of ids are no longer known.
func (s *quotaStates) forget(ids []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if st, ok := s.rows[id]; ok {
			s.rows[id] = quotaState{contended: st.contended}
		}
	}
}

// contended records that another writer changed the rows of ids since this store
// wrote them.
func (s *quotaStates) contended(ids []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.makeRoom(len(ids))
	for _, id := range ids {
		s.rows[id] = quotaState{contended: true}
	}
}

// makeRoom forgets everything if n more rows would pass the bound. The caller
// holds mu.
func (s *quotaStates) makeRoom(n int) {
	if len(s.rows)+n > maxQuotaStates {
		clear(s.rows)
	}
}
