// Package clockcache is a bounded map whose reads take no lock, for the Meter's
// caches that every CheckQuota and Track reads: a hit costs a scan of one cache
// line of hashes and an atomic flag, where a least-recently-used list would move
// the entry under a lock that every request takes.
package clockcache

import (
	"hash/maphash"
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
	"unsafe"
)

// ways is the most entries a bucket holds: their hashes fill one cache line.
const ways = 8

// Cache maps keys to values, holding at most a fixed number of entries. It is a
// table allocated once, in buckets of up to eight places: a key's hash picks its
// bucket, and the key can only be held in one of that bucket's places. The places
// add up to the cache's size, so the bound is exact, and no entry costs more than
// its own allocation and two words of the table.
//
// When a new key's bucket is full, it takes the place of an entry not read since
// its bucket's hand last passed it (CLOCK, or second chance): each entry has a
// flag set when it is read; the hand goes round its bucket's places, clearing the
// flags it finds set, and drops the first entry whose flag is clear. Recently read
// entries stay, as with a least-recently-used list kept per bucket; a new entry
// starts unflagged, so keys read once go before the ones read again. A new key
// drops an entry of its bucket even while other buckets have room.
//
// Get and Peek take no lock; Add, Update and Remove take a mutex. Values are
// pointers the cache hands out as they were stored: callers must not change what
// they point to. It is safe for concurrent use.
type Cache[K comparable, V any] struct {
	// hashes holds the hash of the key in each place, ways to a bucket, with
	// the low bit set so that zero means an empty place; a bucket's hashes
	// share a cache line. A reader compares the entry's key too: two keys may
	// have the same hash, and a writer may change the place between the
	// reader's loads of its hash and its entry.
	hashes []atomic.Uint64
	// slots holds the entry in each place, parallel to hashes.
	slots   []atomic.Pointer[entry[K, V]]
	buckets uint64
	hash    func(K) uint64

	mu sync.Mutex
	// hands holds each bucket's eviction hand.
	hands []uint8
	// Every bucket has narrow places, the first wider of them one more, so that
	// they add up to the size.
	narrow, wider int
	held          int
}

type entry[K comparable, V any] struct {
	key   K
	value atomic.Pointer[V]
	// read is set by Get and cleared by the hand passing.
	read atomic.Bool
}

// New returns an empty cache that holds at most size entries (at least one, at
// most math.MaxInt32). It allocates its table for size entries at once.
func New[K comparable, V any](size int) *Cache[K, V] {
	size = min(max(size, 1), math.MaxInt32)
	nb := (size + ways - 1) / ways
	seed := maphash.MakeSeed()
	return &Cache[K, V]{
		hashes:  alignedHashes(nb * ways),
		slots:   make([]atomic.Pointer[entry[K, V]], nb*ways),
		buckets: uint64(nb),
		hash:    func(k K) uint64 { return maphash.Comparable(seed, k) },
		hands:   make([]uint8, nb),
		narrow:  size / nb,
		wider:   size % nb,
	}
}

// alignedHashes returns n hashes starting at a cache line, so that a bucket's
// hashes are one line and a read loads one line, whatever the allocator's
// alignment.
func alignedHashes(n int) []atomic.Uint64 {
	raw := make([]atomic.Uint64, n+ways-1)
	off := int(-uintptr(unsafe.Pointer(&raw[0])) % (ways * 8) / 8)
	return raw[off : off+n : off+n]
}

// place returns the hash to store for k and the first place of its bucket.
func (c *Cache[K, V]) place(k K) (h uint64, at int) {
	h = c.hash(k) | 1
	b, _ := bits.Mul64(h, c.buckets)
	return h, int(b) * ways
}

// waysIn is the number of places of bucket b.
func (c *Cache[K, V]) waysIn(b int) int {
	if b < c.wider {
		return c.narrow + 1
	}
	return c.narrow
}

// load returns k's entry, or nil.
func (c *Cache[K, V]) load(k K) *entry[K, V] {
	h, at := c.place(k)
	hs := (*[ways]atomic.Uint64)(c.hashes[at:])
	for i := range hs {
		if hs[i].Load() == h {
			if en := c.slots[at+i].Load(); en != nil && en.key == k {
				return en
			}
		}
	}
	return nil
}

// Get returns k's value and marks it used, so the next pass of its bucket's hand
// keeps it.
func (c *Cache[K, V]) Get(k K) (*V, bool) {
	en := c.load(k)
	if en == nil {
		return nil, false
	}
	// Only the first read since the hand passed writes: the flag's cache line is
	// not written back and forth between cores by every read.
	if !en.read.Load() {
		en.read.Store(true)
	}
	return en.value.Load(), true
}

// Peek returns k's value without marking it used.
func (c *Cache[K, V]) Peek(k K) (*V, bool) {
	en := c.load(k)
	if en == nil {
		return nil, false
	}
	return en.value.Load(), true
}

// Add sets k's value to v. An entry already held keeps its place and counts as
// used; a new one may drop another of its bucket (see Cache).
func (c *Cache[K, V]) Add(k K, v *V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.set(k, v)
}

// Update sets k's value to what f returns when given the value held (nil when k
// has none), in one step with respect to the cache's other changes. When f
// returns the value held, or nil, nothing changes.
func (c *Cache[K, V]) Update(k K, f func(held *V) *V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var held *V
	if en := c.load(k); en != nil {
		held = en.value.Load()
	}
	if v := f(held); v != nil && v != held {
		c.set(k, v)
	}
}

// Remove drops k's entry, if held.
func (c *Cache[K, V]) Remove(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, at := c.place(k)
	for i := at; i < at+ways; i++ {
		if c.hashes[i].Load() == h && c.slots[i].Load().key == k {
			c.hashes[i].Store(0)
			c.slots[i].Store(nil)
			c.held--
			return
		}
	}
}

// Len is the number of entries held.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.held
}

// set stores k's value; c.mu is held.
func (c *Cache[K, V]) set(k K, v *V) {
	h, at := c.place(k)
	n := c.waysIn(at / ways)
	free := -1
	for i := at; i < at+n; i++ {
		switch c.hashes[i].Load() {
		case h:
			if held := c.slots[i].Load(); held.key == k {
				held.value.Store(v)
				held.read.Store(true)
				return
			}
		case 0:
			if free < 0 {
				free = i
			}
		}
	}
	en := &entry[K, V]{key: k}
	en.value.Store(v)
	if free < 0 {
		hand := Hand{at: int(c.hands[at/ways])}
		free = at + hand.Victim(n, func(i int) *atomic.Bool { return &c.slots[at+i].Load().read })
		c.hands[at/ways] = uint8(hand.at)
		c.held--
	}
	// The entry goes in before its hash: a reader matching the hash finds it,
	// and one still matching the hash it replaces finds another key.
	c.slots[free].Store(en)
	c.hashes[free].Store(h)
	c.held++
}
