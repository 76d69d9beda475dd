package sqlstore

import (
	"sync"
	"sync/atomic"

	"github.com/usagekit/usage/internal/clockcache"
)

// hashSet remembers 64-bit hashes, at most a fixed number of them, in one array
// of 8-byte slots: no map entry, slot index or allocation per hash, so that a
// store can remember many rows in little memory. A hash has a bucket of a few
// slots (clockcache.Ways) and is held in one of them. Past the bucket's room, a new
// hash takes the place of one not looked up since the bucket's hand last passed
// it (CLOCK, as clockMap, within the bucket), so the hashes batches keep meeting
// stay. Two hashes that differ only in their lowest two bits are taken for one.
//
// has takes the read lock and remember the lock; a slot's flag is set under the
// read lock, hence atomic slots.
type hashSet struct {
	mu    sync.RWMutex
	slots []atomic.Uint64
	// The lock guards the hands.
	clockcache.Buckets
}

const (
	// slotMet is set on a slot's hash when has finds it; slotHeld marks a slot in
	// use, so that no held hash is zero.
	slotMet, slotHeld = 1, 2
)

// newHashSet returns an empty hashSet of at most size hashes (at least one).
func newHashSet(size int) *hashSet {
	size = max(size, 1)
	ways := min(clockcache.Ways, size)
	buckets := size / ways
	return &hashSet{slots: make([]atomic.Uint64, buckets*ways), Buckets: clockcache.NewBuckets(buckets, ways)}
}

// slotted is h as held in a slot, its flag clear.
func slotted(h uint64) uint64 { return h&^(slotMet|slotHeld) | slotHeld }

// bucket returns the first slot of h's bucket.
func (s *hashSet) bucket(h uint64) int { return int((h>>2)%uint64(s.Count())) * s.Ways() }

// has reports whether h is remembered, and flags it met.
func (s *hashSet) has(h uint64) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	want, lo := slotted(h), s.bucket(h)
	for i := lo; i < lo+s.Ways(); i++ {
		v := s.slots[i].Load()
		if v&^slotMet == want {
			if v&slotMet == 0 {
				s.slots[i].Or(slotMet)
			}
			return true
		}
	}
	return false
}

// remember records hashes.
func (s *hashSet) remember(hashes []uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range hashes {
		s.put(h)
	}
}

// put holds h in its bucket: in a free slot, or in place of the first slot the
// bucket's hand finds not met since it last passed. The caller holds the lock.
func (s *hashSet) put(h uint64) {
	want, lo := slotted(h), s.bucket(h)
	free := -1
	for i := lo; i < lo+s.Ways(); i++ {
		v := s.slots[i].Load()
		if v&^slotMet == want {
			return
		}
		if v == 0 && free < 0 {
			free = i
		}
	}
	if free >= 0 {
		s.slots[free].Store(want)
		return
	}
	for {
		i := s.Advance(lo)
		v := s.slots[i].Load()
		if v&slotMet == 0 {
			s.slots[i].Store(want)
			return
		}
		s.slots[i].Store(v &^ slotMet)
	}
}

// len is the number of hashes held, counted slot by slot: only tests ask.
func (s *hashSet) len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for i := range s.slots {
		if s.slots[i].Load() != 0 {
			n++
		}
	}
	return n
}
