package sqlstore

import (
	"context"
	"time"
)

// CompareAndSet returns the statement with which Ingest writes remembered quota
// rows where rows are locked, for the rows of ids, and the settings it runs under.
func (s *Store) CompareAndSet(ids []string) (settings, stmt string) {
	form := versionedCompareAndSet(s.e.dialect.RowVersion)
	return keyOrder, form.text(s.e.db.Dialect(), len(ids), func(i int, w RowWriter) {
		w.Text(ids[i])
		for range len(form.names) - 1 {
			w.Int(0)
		}
	})
}

// Counters returns the statement with which Ingest writes the quota rows of ids
// that it has read and locked, where rows are locked, and the settings it runs
// under.
func (s *Store) Counters(ids []string) (settings, stmt string) {
	dirty := map[string]bool{}
	for _, id := range ids {
		dirty[id] = true
	}
	counters := quotaCounters(nil, nil, dirty)
	form := *counters.arrays
	settings, form.settings = form.settings, ""
	return settings, form.text(s.e.db.Dialect(), counters.n, counters.write)
}

// CloseOpenHours writes every quota row's open hour into usage_aggregations, as a
// version of the store before open hours would have held them.
func (s *Store) CloseOpenHours(ctx context.Context) error {
	return s.e.closeOpenHours(ctx, s.e.db, "1 = 1")
}

// UnnestRows is unnestRows, for the tests of the array form.
var UnnestRows = unnestRows

// InsertsFinal reports whether Ingest creates the quota rows it has not seen as a
// batch leaves them (see insertFinalQuotas).
func (s *Store) InsertsFinal() bool { return s.e.insertFinal.Load() }

// Remembered returns how many rows of each kind the store remembers between
// batches: keys of quota rows that exist, kept dimension values, and quota rows as
// last written.
func (s *Store) Remembered() (quotaKeys, keptValues, quotaRows int) {
	s.e.quotaStates.mu.RLock()
	defer s.e.quotaStates.mu.RUnlock()
	return s.e.quotas.set.len(), setLen(s.e.kept), s.e.quotaStates.rows.len()
}

func setLen[K comparable](set *boundedSet[K]) int {
	set.mu.RLock()
	defer set.mu.RUnlock()
	return set.keys.len()
}

// PreparedSizes returns, for each statement the store's writer keeps prepared (by
// its text up to the rows), the numbers of rows of its forms; nil where writes
// share no connection.
func (s *Store) PreparedSizes() map[string][]int {
	w := <-s.e.writer
	defer func() { s.e.writer <- w }()
	if w == nil {
		return nil
	}
	out := map[string][]int{}
	for key := range w.prepared.kept {
		out[key.head] = append(out[key.head], key.n)
	}
	return out
}

// OnWriterConn calls f with the driver's connection this store's writes share
// (see withWriteConn), opening it if none is open.
func (s *Store) OnWriterConn(ctx context.Context, f func(driverConn any) error) error {
	return s.e.withWriteConn(ctx, func(w *writerConn) error { return w.conn.Raw(f) })
}

// TakeQuotaRowForExisting makes the store remember the quota row of subject, metric
// and periodStart as existing, as a row whose ID shares a hash with one remembered
// would be.
func (s *Store) TakeQuotaRowForExisting(subject, metric string, periodStart time.Time) {
	s.e.quotas.remember([]string{quotaID(subject, metric, micros(periodStart))})
}

// KnownQuotaRows returns how many quota rows the store remembers as last written,
// with all a batch needs to decide against them without reading them.
func (s *Store) KnownQuotaRows() int {
	s.e.quotaStates.mu.RLock()
	defer s.e.quotaStates.mu.RUnlock()
	n := 0
	for i := range s.e.quotaStates.rows.slots {
		if s.e.quotaStates.rows.slots[i].val.known {
			n++
		}
	}
	return n
}
