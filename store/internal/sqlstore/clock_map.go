package sqlstore

import (
	"hash/maphash"
	"math/bits"
	"sync/atomic"
)

// clockMap maps keys to values, holding at most a fixed number of entries, in
// slots of one array: no map entry or allocation per key, so that a store can
// remember many rows in little memory, and a batch's writes of hundreds of rows
// are an update in place each.
//
// The slots are in buckets of a few (clockMapWays). A key has two buckets, found
// by its hash, and is held in either: with two choices, a bucket overflows only
// when the table is nearly full, where with one a tenth of the keys would keep
// pushing each other out of full buckets well below the bound. Two full buckets
// double the buckets until they make the bound; then a new key takes the place of
// one not looked up since its buckets' hands last passed it (CLOCK, or second
// chance), so the entries batches keep meeting stay, and memory follows the
// entries held up to the bound.
//
// It takes no lock of its own: its owner holds a sync.RWMutex over a batch's keys
// at once, read-locked for get and locked for put.
type clockMap[K comparable, V any] struct {
	seed maphash.Seed
	// hashes holds the hash of each slot's key, made odd so that zero marks a
	// free slot; a bucket's hashes are scanned before any key is compared.
	hashes []uint64
	slots  []clockSlot[K, V]
	// ways is the slots per bucket; len(slots) is a multiple of it.
	ways int
	// hands holds each bucket's next slot for its hand.
	hands []uint8
	// buckets is the most buckets: their ways make at most the bound.
	buckets int
}

// clockMapWays is the most slots in a bucket: a bucket's hashes fill one cache
// line.
const clockMapWays = 8

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
	ways := min(clockMapWays, size)
	m := &clockMap[K, V]{seed: maphash.MakeSeed(), ways: ways, buckets: size / ways}
	m.make(min(m.buckets, 8))
	return m
}

// make gives m empty slots in n buckets.
func (m *clockMap[K, V]) make(n int) {
	m.hashes, m.slots, m.hands = make([]uint64, n*m.ways), make([]clockSlot[K, V], n*m.ways), make([]uint8, n)
}

// grow doubles m's buckets, up to its most, and puts the entries held back in
// them; an entry whose buckets are both full is dropped, as by a hand.
func (m *clockMap[K, V]) grow() {
	hashes, slots, buckets := m.hashes, m.slots, len(m.hands)
	m.make(min(2*buckets, m.buckets))
	for i, h := range hashes {
		if h == 0 {
			continue
		}
		// The bucket the entry was in is split between two of the new ones,
		// which take entries from it alone: its new bucket has room when the
		// buckets double.
		in := m.buckets2(h)
		if int(h>>1%uint64(buckets))*m.ways != i/m.ways*m.ways {
			in[0], in[1] = in[1], in[0]
		}
		if at := m.firstFree(in); at >= 0 {
			m.hashes[at], m.slots[at].key, m.slots[at].val = h, slots[i].key, slots[i].val
		}
	}
}

// firstFree returns the first free slot of the first bucket starting at in, else
// of the second, or -1.
func (m *clockMap[K, V]) firstFree(in [2]int) int {
	for _, lo := range in {
		for i := lo; i < lo+m.ways; i++ {
			if m.hashes[i] == 0 {
				return i
			}
		}
	}
	return -1
}

// buckets2 returns the first slots of the two buckets of hash h, which may be
// one.
func (m *clockMap[K, V]) buckets2(h uint64) [2]int {
	n := uint64(len(m.hands))
	return [2]int{int(h>>1%n) * m.ways, int(bits.RotateLeft64(h, 32)>>1%n) * m.ways}
}

// find returns k's hash and buckets, and k's slot, or -1.
func (m *clockMap[K, V]) find(k K) (h uint64, in [2]int, at int) {
	h = maphash.Comparable(m.seed, k) | 1
	in = m.buckets2(h)
	for _, lo := range in {
		for i := lo; i < lo+m.ways; i++ {
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
	for i = m.free(in); i < 0 && len(m.hands) < m.buckets; i = m.free(in) {
		m.grow()
		in = m.buckets2(h)
	}
	if i < 0 {
		i = m.victim(in)
	}
	m.hashes[i] = h
	s := &m.slots[i]
	s.key, s.val = k, v
	s.met.Store(false)
}

// free returns a free slot of the bucket, of the two starting at in, with more
// free slots, or -1: the buckets fill evenly.
func (m *clockMap[K, V]) free(in [2]int) int {
	at, most := -1, 0
	for _, lo := range in {
		n, first := 0, -1
		for i := lo; i < lo+m.ways; i++ {
			if m.hashes[i] == 0 {
				n++
				if first < 0 {
					first = i
				}
			}
		}
		if n > most {
			at, most = first, n
		}
	}
	return at
}

// victim returns the slot, of the buckets starting at in, whose entry to
// replace: the first on whose flag is clear from the first bucket's hand, then
// from the second's, clearing the flags the hands pass; after a round of both,
// the slot the first hand is at. The hand moves past the slot it returns.
func (m *clockMap[K, V]) victim(in [2]int) int {
	for _, lo := range in {
		hand := &m.hands[lo/m.ways]
		for range m.ways {
			i := lo + int(*hand)
			*hand = uint8((int(*hand) + 1) % m.ways)
			met := &m.slots[i].met
			if !met.Load() {
				return i
			}
			met.Store(false)
		}
	}
	hand := &m.hands[in[0]/m.ways]
	i := in[0] + int(*hand)
	*hand = uint8((int(*hand) + 1) % m.ways)
	return i
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
