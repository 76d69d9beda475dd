// Package clockcache is a bounded map whose reads take no lock, for the Meter's
// caches that every CheckQuota and Track reads: a hit costs a scan of a cache
// line of hashes or two and an atomic flag, where a least-recently-used list
// would move the entry under a lock that every request takes.
package clockcache

import (
	"hash/maphash"
	"math"
	"sync"
	"sync/atomic"
)

// Cache maps keys to values, holding at most a fixed number of entries, in a
// table of slots laid out in Buckets: no map node per key, so that an entry costs
// little more than its own allocation and two words of the table. A key is held
// in either of its two buckets. Two full buckets double the table until its slots
// make the bound, so memory follows the entries held. Then a new key takes the
// place of an entry not read since its bucket's hand last passed it (CLOCK, or
// second chance): each entry has a flag set when it is read; the hand goes round
// its bucket's slots, clearing the flags it finds set, and drops the first entry
// whose flag is clear. Recently read entries stay, as with a least-recently-used
// list; a new entry starts unflagged, so keys read once go before the ones read
// again.
//
// Get and Peek take no lock; Add, Update and Remove take a mutex. Values are
// pointers the cache hands out as they were stored: callers must not change what
// they point to. It is safe for concurrent use.
type Cache[K comparable, V any] struct {
	// table is replaced, under mu, by one twice its size when it grows.
	table atomic.Pointer[table[K, V]]
	hash  func(K) uint64

	mu sync.Mutex
	// buckets is the most buckets the table grows to: their slots make at most
	// the size.
	buckets int
}

// table holds the slots of a Cache.
type table[K comparable, V any] struct {
	// hashes holds the hash of the key in each slot, with the low bit set so
	// that zero means an empty slot. A reader compares the entry's key too: two
	// keys may have the same hash, and a writer may change the slot between the
	// reader's loads of its hash and its entry.
	hashes []atomic.Uint64
	// slots holds the entry in each slot, parallel to hashes.
	slots []atomic.Pointer[entry[K, V]]
	// The Cache's mu guards the hands.
	Buckets
}

type entry[K comparable, V any] struct {
	key   K
	value atomic.Pointer[V]
	// read is set by Get and cleared by the hand passing.
	read atomic.Bool
}

// New returns an empty cache that holds at most size entries (at least one, at
// most math.MaxInt32).
func New[K comparable, V any](size int) *Cache[K, V] {
	size = min(max(size, 1), math.MaxInt32)
	ways := min(Ways, size)
	seed := maphash.MakeSeed()
	c := &Cache[K, V]{buckets: size / ways, hash: func(k K) uint64 { return maphash.Comparable(seed, k) }}
	c.table.Store(newTable[K, V](min(c.buckets, 8), ways))
	return c
}

func newTable[K comparable, V any](buckets, ways int) *table[K, V] {
	return &table[K, V]{hashes: make([]atomic.Uint64, buckets*ways),
		slots: make([]atomic.Pointer[entry[K, V]], buckets*ways), Buckets: NewBuckets(buckets, ways)}
}

// find returns the entry of key k, of hash h, and its slot; or nil and -1.
// The entry is the one whose key was compared: a writer may have changed the
// slot since.
func (t *table[K, V]) find(k K, h uint64) (*entry[K, V], int) {
	for _, at := range t.Pair(h) {
		for i := at; i < at+t.Ways(); i++ {
			if t.hashes[i].Load() == h {
				if en := t.slots[i].Load(); en != nil && en.key == k {
					return en, i
				}
			}
		}
	}
	return nil, -1
}

// empty reports whether slot i is empty.
func (t *table[K, V]) empty(i int) bool { return t.hashes[i].Load() == 0 }

// read returns the read flag of the entry in slot i, which holds one.
func (t *table[K, V]) read(i int) *atomic.Bool { return &t.slots[i].Load().read }

// put stores en, of hash h, in slot i: the entry before its hash, so that a
// reader matching the hash finds it, and one still matching the hash it replaces
// finds another key.
func (t *table[K, V]) put(i int, h uint64, en *entry[K, V]) {
	t.slots[i].Store(en)
	t.hashes[i].Store(h)
}

// load returns k's entry, or nil.
func (c *Cache[K, V]) load(k K) *entry[K, V] {
	en, _ := c.table.Load().find(k, c.hash(k)|1)
	return en
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
// used; a new one may drop another (see Cache).
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
	t := c.table.Load()
	if _, i := t.find(k, c.hash(k)|1); i >= 0 {
		t.hashes[i].Store(0)
		t.slots[i].Store(nil)
	}
}

// Len is the number of entries held, counted slot by slot: only tests ask.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, n := c.table.Load(), 0
	for i := range t.slots {
		if !t.empty(i) {
			n++
		}
	}
	return n
}

// set stores k's value; c.mu is held.
func (c *Cache[K, V]) set(k K, v *V) {
	h := c.hash(k) | 1
	t := c.table.Load()
	if held, _ := t.find(k, h); held != nil {
		held.value.Store(v)
		held.read.Store(true)
		return
	}
	en := &entry[K, V]{key: k}
	en.value.Store(v)
	pair := t.Pair(h)
	i := t.Emptier(pair, t.empty)
	for i < 0 && t.Count() < c.buckets {
		t = c.grow()
		pair = t.Pair(h)
		i = t.Emptier(pair, t.empty)
	}
	if i < 0 {
		i = t.Victim(pair, t.read)
	}
	t.put(i, h, en)
}

// grow replaces the table by one of twice its buckets, up to the most, holding
// its entries, and returns it; an entry whose buckets are both full is dropped,
// as by a hand. Readers of the old table meanwhile find what it held. c.mu is
// held.
func (c *Cache[K, V]) grow() *table[K, V] {
	old := c.table.Load()
	t := newTable[K, V](min(2*old.Count(), c.buckets), old.Ways())
	for i := range old.slots {
		h := old.hashes[i].Load()
		if h == 0 {
			continue
		}
		if at := t.First(t.PairFrom(h, &old.Buckets, i), t.empty); at >= 0 {
			t.put(at, h, old.slots[i].Load())
		}
	}
	c.table.Store(t)
	return t
}
