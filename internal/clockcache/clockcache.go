// Package clockcache is a bounded map whose reads take no lock, for the Meter's
// caches that every CheckQuota and Track reads: a hit costs a lookup in a
// concurrent map and an atomic flag, where a least-recently-used list would move
// the entry under a lock that every request takes.
package clockcache

import (
	"hash/maphash"
	"math"
	"sync"
	"sync/atomic"
)

// Cache maps keys to values, holding at most a fixed number of entries. Past that,
// adding a key drops an entry not read since the eviction hand last passed it
// (CLOCK, or second chance): each entry has a flag set when it is read; the hand
// goes round the entries, clearing the flags it finds set, and drops the first
// entry whose flag is clear. Recently read entries stay, as with a
// least-recently-used list; a new entry starts unflagged, so keys read once go
// before the ones read again.
//
// Get and Peek take no lock; Add, Update and Remove take a mutex. Values are
// pointers the cache hands out as they were stored: callers must not change what
// they point to. It is safe for concurrent use.
type Cache[K comparable, V any] struct {
	// entries maps the hash of each key held to its entry; its loads take no
	// lock. Keyed by a hash, sync.Map hashes a uint64 instead of hashing K
	// field by field through an interface. Two keys with the same hash share a
	// place: the one added last holds it.
	entries sync.Map // uint64 → *entry[K, V]
	hash    func(K) uint64

	mu sync.Mutex
	// ring holds the entries in the hand's order; its length is at most size.
	ring []*entry[K, V]
	hand Hand
	size int
}

type entry[K comparable, V any] struct {
	key   K
	value atomic.Pointer[V]
	// read is set by Get and cleared by the hand passing.
	read atomic.Bool
	// index is the entry's place in the ring; mu guards it. An int32 keeps the
	// entry in a 32-byte size class with a string key.
	index int32
}

// New returns an empty cache that holds at most size entries (at least one, at
// most math.MaxInt32).
func New[K comparable, V any](size int) *Cache[K, V] {
	size = min(max(size, 1), math.MaxInt32)
	seed := maphash.MakeSeed()
	return &Cache[K, V]{size: size, ring: make([]*entry[K, V], 0, min(size, 1024)),
		hash: func(k K) uint64 { return maphash.Comparable(seed, k) }}
}

// load returns k's entry.
func (c *Cache[K, V]) load(k K) (*entry[K, V], bool) {
	e, ok := c.entries.Load(c.hash(k))
	if !ok {
		return nil, false
	}
	en := e.(*entry[K, V])
	return en, en.key == k
}

// Get returns k's value and marks it used, so the next pass of the hand keeps it.
func (c *Cache[K, V]) Get(k K) (*V, bool) {
	en, ok := c.load(k)
	if !ok {
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
	en, ok := c.load(k)
	if !ok {
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
	if en, ok := c.load(k); ok {
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
	en, ok := c.load(k)
	if !ok {
		return
	}
	c.entries.Delete(c.hash(k))
	i, last := int(en.index), len(c.ring)-1
	c.ring[i] = c.ring[last]
	c.ring[i].index = int32(i)
	c.ring[last] = nil
	c.ring = c.ring[:last]
}

// Len is the number of entries held.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.ring)
}

// set stores k's value; c.mu is held.
func (c *Cache[K, V]) set(k K, v *V) {
	h := c.hash(k)
	e, ok := c.entries.Load(h)
	if ok && e.(*entry[K, V]).key == k {
		held := e.(*entry[K, V])
		held.value.Store(v)
		held.read.Store(true)
		return
	}
	en := &entry[K, V]{key: k}
	if ok {
		// Another key with the same hash gives k its place.
		en.index = e.(*entry[K, V]).index
		en.value.Store(v)
		c.ring[en.index] = en
		c.entries.Store(h, en)
		return
	}
	en.value.Store(v)
	if len(c.ring) < c.size {
		en.index = int32(len(c.ring))
		c.ring = append(c.ring, en)
		c.entries.Store(h, en)
		return
	}
	i := c.hand.Victim(len(c.ring), func(i int) *atomic.Bool { return &c.ring[i].read })
	c.entries.Delete(c.hash(c.ring[i].key))
	en.index = int32(i)
	c.ring[i] = en
	c.entries.Store(h, en)
}
