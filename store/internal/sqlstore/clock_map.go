package sqlstore

import (
	"hash/maphash"
	"sync/atomic"

	"github.com/usagekit/usage/internal/clockcache"
)

// clockMap maps keys to values, holding at most a fixed number of entries, in
// slots of one array laid out in clockcache.Buckets: no map entry or allocation
// per key, so that a store can remember many rows in little memory, and a batch's
// writes of hundreds of rows are an update in place each. A key is held in either
// of its two buckets. Two full buckets double the buckets until they make the
// bound, so memory follows the entries held; then a new key takes the place of
// one not looked up since its bucket's hand last passed it (CLOCK, or second
// chance), so the entries batches keep meeting stay.
//
// It takes no lock of its own: its owner holds a sync.RWMutex over a batch's keys
// at once, read-locked for get and locked for put.
type clockMap[K comparable, V any] struct {
	seed maphash.Seed
	// hashes holds the hash of each slot's key, made odd so that zero marks a
	// free slot; a bucket's hashes are scanned before any key is compared.
	hashes []uint64
	slots  []clockSlot[K, V]
	clockcache.Buckets
	// buckets is the most buckets: their ways make at most the bound.
	buckets int
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
	ways := min(clockcache.Ways, size)
	m := &clockMap[K, V]{seed: maphash.MakeSeed(), buckets: size / ways}
	m.make(min(m.buckets, 8), ways)
	return m
}

// make gives m empty slots in n buckets of ways each.
func (m *clockMap[K, V]) make(n, ways int) {
	m.hashes, m.slots, m.Buckets = make([]uint64, n*ways), make([]clockSlot[K, V], n*ways), clockcache.NewBuckets(n, ways)
}

// grow doubles m's buckets, up to its most, and puts the entries held back in
// them; an entry whose buckets are both full is dropped, as by a hand.
func (m *clockMap[K, V]) grow() {
	hashes, slots, old := m.hashes, m.slots, m.Buckets
	m.make(min(2*old.Count(), m.buckets), old.Ways())
	for i, h := range hashes {
		if h == 0 {
			continue
		}
		if at := m.First(m.PairFrom(h, &old, i), m.free); at >= 0 {
			m.hashes[at], m.slots[at].key, m.slots[at].val = h, slots[i].key, slots[i].val
		}
	}
}

// free reports whether slot i is free.
func (m *clockMap[K, V]) free(i int) bool { return m.hashes[i] == 0 }

// metFlag returns slot i's flag.
func (m *clockMap[K, V]) metFlag(i int) *atomic.Bool { return &m.slots[i].met }

// find returns k's hash and buckets, and k's slot, or -1.
func (m *clockMap[K, V]) find(k K) (h uint64, in [2]int, at int) {
	h = maphash.Comparable(m.seed, k) | 1
	in = m.Pair(h)
	for _, lo := range in {
		for i := lo; i < lo+m.Ways(); i++ {
			if m.hashes[i] == h && m.slots[i].key == k {
				return h, in, i
			}
		}
	}
	return h, in, -1
}

// get returns k's value and flags it met. The owner holds its read lock, or its
// lock.
func (m *clockMap[K, V]) get(k K) (V, bool) {
	_, _, i := m.find(k)
	if i < 0 {
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

// put sets k's value, in its slot if k has one, else in a free slot of its
// buckets, growing the buckets while they are fewer than their most, else in
// place of an entry not met since its bucket's hand last passed. The owner holds
// its lock.
func (m *clockMap[K, V]) put(k K, v V) {
	h, in, i := m.find(k)
	if i >= 0 {
		m.slots[i].val = v
		return
	}
	for i = m.Emptier(in, m.free); i < 0 && m.Count() < m.buckets; i = m.Emptier(in, m.free) {
		m.grow()
		in = m.Pair(h)
	}
	if i < 0 {
		i = m.Victim(in, m.metFlag)
	}
	m.hashes[i] = h
	s := &m.slots[i]
	s.key, s.val = k, v
	s.met.Store(false)
}

// len is the number of entries held.
func (m *clockMap[K, V]) len() int {
	n := 0
	for _, h := range m.hashes {
		if h != 0 {
			n++
		}
	}
	return n
}
