package sqlstore

import (
	"sync/atomic"

	"github.com/usagekit/usage/internal/clockcache"
)

// clockMap maps keys to values, holding at most a fixed number of entries. Past
// that, a new entry takes the place of one not looked up since the eviction hand
// last passed it (clockcache.Hand): entries that batches keep meeting stay.
//
// It takes no lock of its own: its owner holds a sync.RWMutex over a batch's keys
// at once, read-locked for get and locked for put. Unlike clockcache, which keeps
// its reads free of locks for the Meter's per-request lookups, it keeps each entry
// in one slot of a slice, so that a batch's writes of hundreds of rows are an
// update in place each, not an allocation.
type clockMap[K comparable, V any] struct {
	index map[K]int32
	slots []clockSlot[K, V]
	hand  clockcache.Hand
	size  int
}

type clockSlot[K comparable, V any] struct {
	key K
	val V
	// met is set by get and cleared by the hand passing; readers holding the
	// owner's read lock set it concurrently.
	met atomic.Bool
}

// newClockMap returns an empty clockMap of at most size entries (at least one).
func newClockMap[K comparable, V any](size int) *clockMap[K, V] {
	size = max(size, 1)
	return &clockMap[K, V]{index: map[K]int32{}, size: size}
}

// get returns k's value and flags it met. The owner holds its read lock, or its
// lock.
func (m *clockMap[K, V]) get(k K) (V, bool) {
	i, ok := m.index[k]
	if !ok {
		var zero V
		return zero, false
	}
	s := &m.slots[i]
	// Only the first lookup since the hand passed writes the flag.
	if !s.met.Load() {
		s.met.Store(true)
	}
	return s.val, true
}

// put sets k's value, in its slot if k has one, else in a slot of its own: a new
// one while there are fewer than size, else the place of an entry the hand drops.
// The owner holds its lock.
func (m *clockMap[K, V]) put(k K, v V) {
	if i, ok := m.index[k]; ok {
		m.slots[i].val = v
		return
	}
	if len(m.slots) < m.size {
		m.index[k] = int32(len(m.slots))
		m.slots = append(m.slots, clockSlot[K, V]{key: k, val: v})
		return
	}
	i := m.hand.Victim(len(m.slots), func(i int) *atomic.Bool { return &m.slots[i].met })
	s := &m.slots[i]
	delete(m.index, s.key)
	s.key, s.val = k, v
	s.met.Store(false)
	m.index[k] = int32(i)
}

// len is the number of entries held.
func (m *clockMap[K, V]) len() int { return len(m.slots) }
