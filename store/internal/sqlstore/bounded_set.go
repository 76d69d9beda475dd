package sqlstore

import "sync"

// maxRemembered bounds the keys a boundedSet remembers.
const maxRemembered = 1 << 16

// boundedSet remembers keys of rows that batches have found in the database, so
// that later batches can skip work for them: dimension values that are kept, quota
// rows that exist. It forgets everything when full, so memory stays bounded
// whatever the number of subjects.
type boundedSet[K comparable] struct {
	mu     sync.RWMutex
	values map[K]struct{}
}

func newBoundedSet[K comparable]() *boundedSet[K] {
	return &boundedSet[K]{values: map[K]struct{}{}}
}

// has reports whether k is remembered.
func (s *boundedSet[K]) has(k K) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.values[k]
	return ok
}

// remember records keys found in the database.
func (s *boundedSet[K]) remember(keys []K) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.values)+len(keys) > maxRemembered {
		clear(s.values)
	}
	for _, k := range keys {
		s.values[k] = struct{}{}
	}
}
