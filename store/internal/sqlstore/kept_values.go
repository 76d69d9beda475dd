package sqlstore

import "sync"

// maxKeptValues bounds the dimension values a keptValues remembers.
const maxKeptValues = 1 << 16

// keptValues remembers dimension values that the database keeps, as batches read
// them. Nothing deletes a kept value, so a value read once is kept for good: a batch
// whose values are all remembered need not read them again. It forgets everything
// when full, so memory stays bounded whatever the number of subjects.
type keptValues struct {
	mu     sync.RWMutex
	values map[dimensionRow]struct{}
}

func newKeptValues() *keptValues {
	return &keptValues{values: map[dimensionRow]struct{}{}}
}

// has reports whether r is remembered as kept.
func (k *keptValues) has(r dimensionRow) bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	_, ok := k.values[r]
	return ok
}

// remember records rows, read from the database, as kept.
func (k *keptValues) remember(rows []dimensionRow) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.values)+len(rows) > maxKeptValues {
		clear(k.values)
	}
	for _, r := range rows {
		k.values[r] = struct{}{}
	}
}
