package sqlstore

import "sync"

// boundedSet remembers keys of rows that batches have found in the database, so
// that later batches can skip work for them: dimension values that are kept (the
// quota rows that exist are held as hashes, in a hashSet). It holds at most a
// fixed number of keys; past that, a new key takes the place of one that no batch
// has looked up lately (see clockMap), so memory stays bounded whatever the number
// of subjects, and the keys batches keep meeting stay.
type boundedSet[K comparable] struct {
	mu   sync.RWMutex
	keys *clockMap[K, struct{}]
}

func newBoundedSet[K comparable](size int) *boundedSet[K] {
	return &boundedSet[K]{keys: newClockMap[K, struct{}](size)}
}

// has reports whether k is remembered.
func (s *boundedSet[K]) has(k K) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.keys.get(k)
	return ok
}

// remember records keys found in the database.
func (s *boundedSet[K]) remember(keys []K) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		s.keys.put(k, struct{}{})
	}
}
