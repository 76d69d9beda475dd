// Package clockcache is a bounded map whose reads take no lock, for the Meter's
// caches that every CheckQuota and Track reads: a hit costs a scan of a cache
// line or two of hashes, each beside its entry, and an atomic flag, where a
// least-recently-used list would move the entry under a lock that every request
// takes.
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
// Get and Peek take no lock; Add, Update and Remove take a mutex. A value is
// held in its entry, and a change of a key's value puts a new entry in its slot:
// Get hands out a pointer to a value that no later change touches, and a hit
// follows one pointer from the slot. Callers must not change what it points to.
// It is safe for concurrent use.
type Cache[K comparable, V any] struct {
	// table is replaced, under mu, by one twice its size when it grows.
	table atomic.Pointer[table[K, V]]
	// seed is the keys' hash seed, held here rather than in a closure: a cold
	// lookup follows one pointer fewer.
	seed maphash.Seed
	// hash, when set, replaces the seeded hash: tests give keys the same hash.
	hash func(K) uint64

	mu sync.Mutex
	// buckets is the most buckets the table grows to: their slots make at most
	// the size.
	buckets int
}

// table holds the slots of a Cache.
type table[K comparable, V any] struct {
	slots []slot[K, V]
	// The Cache's mu guards the hands.
	Buckets
}

// slot holds an entry beside its key's hash, so that the hash a lookup matches
// and the entry it then loads are on one cache line.
type slot[K comparable, V any] struct {
	// hash is the hash of the entry's key, with the low bit set so that zero
	// means an empty slot. A reader compares the entry's key too: two keys may
	// have the same hash, and a writer may change the slot between the reader's
	// loads of its hash and its entry.
	hash  atomic.Uint64
	entry atomic.Pointer[entry[K, V]]
}

type entry[K comparable, V any] struct {
	key K
	// read is set by Get and cleared by the hand passing.
	read  atomic.Bool
	value V
}

// New returns an empty cache that holds at most size entries (at least one, at
// most math.MaxInt32).
func New[K comparable, V any](size int) *Cache[K, V] {
	c := new(Cache[K, V])
	c.Init(size)
	return c
}

// Init makes c, a zero Cache, an empty cache as New's: for a Cache held in
// another struct, where a lookup follows one pointer fewer than from New's.
func (c *Cache[K, V]) Init(size int) {
	size = min(max(size, 1), math.MaxInt32)
	ways := min(Ways, size)
	c.seed, c.buckets = maphash.MakeSeed(), size/ways
	c.table.Store(newTable[K, V](min(c.buckets, 8), ways))
}

func newTable[K comparable, V any](buckets, ways int) *table[K, V] {
	return &table[K, V]{slots: make([]slot[K, V], buckets*ways), Buckets: NewBuckets(buckets, ways)}
}

// hashOf returns k's hash, with the low bit set (see slot).
func (c *Cache[K, V]) hashOf(k K) uint64 {
	if c.hash != nil {
		return c.hash(k) | 1
	}
	return maphash.Comparable(c.seed, k) | 1
}

// find returns the entry of key k, of hash h, and its slot; or nil and -1.
// The entry is the one whose key was compared: a writer may have changed the
// slot since.
func (t *table[K, V]) find(k K, h uint64) (*entry[K, V], int) {
	for _, at := range t.Pair(h) {
		for i := at; i < at+t.Ways(); i++ {
			if s := &t.slots[i]; s.hash.Load() == h {
				if en := s.entry.Load(); en != nil && en.key == k {
					return en, i
				}
			}
		}
	}
	return nil, -1
}

// empty reports whether slot i is empty.
func (t *table[K, V]) empty(i int) bool { return t.slots[i].hash.Load() == 0 }

// read returns the read flag of the entry in slot i, which holds one.
func (t *table[K, V]) read(i int) *atomic.Bool { return &t.slots[i].entry.Load().read }

// put stores en, of hash h, in slot i: the entry before its hash, so that a
// reader matching the hash finds it, and one still matching the hash it replaces
// finds another key.
func (t *table[K, V]) put(i int, h uint64, en *entry[K, V]) {
	t.slots[i].entry.Store(en)
	t.slots[i].hash.Store(h)
}

// load returns k's entry, or nil.
func (c *Cache[K, V]) load(k K) *entry[K, V] {
	en, _ := c.table.Load().find(k, c.hashOf(k))
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
	return &en.value, true
}

// Peek returns k's value without marking it used.
func (c *Cache[K, V]) Peek(k K) (*V, bool) {
	en := c.load(k)
	if en == nil {
		return nil, false
	}
	return &en.value, true
}

// Add sets k's value to v. An entry already held keeps its place and counts as
// used; a new one may drop another (see Cache).
func (c *Cache[K, V]) Add(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.set(k, v)
}

// Update sets k's value to what f returns when given the value held (nil when k
// has none), in one step with respect to the cache's other changes. When f
// returns false, nothing changes.
func (c *Cache[K, V]) Update(k K, f func(held *V) (V, bool)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var held *V
	if en := c.load(k); en != nil {
		held = &en.value
	}
	if v, ok := f(held); ok {
		c.set(k, v)
	}
}

// Remove drops k's entry, if held.
func (c *Cache[K, V]) Remove(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.table.Load()
	if _, i := t.find(k, c.hashOf(k)); i >= 0 {
		t.slots[i].hash.Store(0)
		t.slots[i].entry.Store(nil)
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
func (c *Cache[K, V]) set(k K, v V) {
	h := c.hashOf(k)
	t := c.table.Load()
	en := &entry[K, V]{key: k, value: v}
	if _, i := t.find(k, h); i >= 0 {
		// In its place, and counted as used.
		en.read.Store(true)
		t.put(i, h, en)
		return
	}
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
		h := old.slots[i].hash.Load()
		if h == 0 {
			continue
		}
		if at := t.First(t.PairFrom(h, &old.Buckets, i), t.empty); at >= 0 {
			t.put(at, h, old.slots[i].entry.Load())
		}
	}
	c.table.Store(t)
	return t
}
