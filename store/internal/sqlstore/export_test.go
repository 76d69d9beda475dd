package sqlstore

import "github.com/uptrace/bun/schema"

// CompareAndSetOnPostgres is the statement with which Ingest writes remembered quota
// rows on Postgres, for the rows of ids, with the settings it runs under.
func CompareAndSetOnPostgres(d schema.Dialect, ids []string) string {
	return keyOrder + compareAndSetUnnest(d, len(ids), func(i int, w RowWriter) {
		w.Text(ids[i])
		for range len(compareAndSetColumns) - 2 {
			w.Int(0)
		}
		w.Text("sum")
	})
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
	lenOf := func(set *boundedSet[string]) int {
		set.mu.RLock()
		defer set.mu.RUnlock()
		return set.keys.len()
	}
	s.e.kept.mu.RLock()
	keptValues = s.e.kept.keys.len()
	s.e.kept.mu.RUnlock()
	s.e.quotaStates.mu.RLock()
	quotaRows = s.e.quotaStates.rows.len()
	s.e.quotaStates.mu.RUnlock()
	return lenOf(s.e.quotas), keptValues, quotaRows
}
