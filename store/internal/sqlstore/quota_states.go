package sqlstore

import "sync"

// quotaStates remembers, for Ingest, which quota rows exist and, where known, each
// row as this store last committed or read it. A batch whose rows are all known
// decides against them without reading the rows, and writes its counters only if
// the rows are still as remembered (see compareAndSetQuotas): a row another
// instance, a correction or a plan change wrote since fails the comparison, and
// the batch runs again reading and locking its rows. A row found changed is then
// read and locked by every batch, as rows of subjects that several instances
// charge at once are best: a remembered one would fail the comparison nearly every
// time. It forgets everything when full, so memory stays bounded whatever the
// number of subjects.
type quotaStates struct {
	mu   sync.RWMutex
	rows map[string]quotaState
}

// quotaState is a remembered quota row: it exists, and if known is set it held row
// when this store last saw it. A contended row is not known again.
type quotaState struct {
	row       quotaRow
	known     bool
	contended bool
}

func newQuotaStates() *quotaStates {
	return &quotaStates{rows: map[string]quotaState{}}
}

// has reports whether the row id is remembered to exist.
func (s *quotaStates) has(id string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.rows[id]
	return ok
}

// known returns the remembered rows of ids, or false if any of them is not known.
func (s *quotaStates) known(ids []string) ([]quotaRow, bool) {
	rows := make([]quotaRow, len(ids))
	s.mu.RLock()
	defer s.mu.RUnlock()
	for i, id := range ids {
		st := s.rows[id]
		if !st.known {
			return nil, false
		}
		rows[i] = st.row
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
			s.rows[r.ID] = quotaState{row: r, known: true}
		}
	}
}

// forget records that the rows of ids exist but are no longer known.
func (s *quotaStates) forget(ids []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if st, ok := s.rows[id]; ok {
			s.rows[id] = quotaState{contended: st.contended}
		}
	}
}

// contended records that the rows of ids exist and that another writer changed
// them since this store wrote them.
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
	if len(s.rows)+n > maxRemembered {
		clear(s.rows)
	}
}
