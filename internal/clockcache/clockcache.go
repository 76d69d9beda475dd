// Package clockcache is a bounded map whose reads take no lock, for the Meter's
// caches that every CheckQuota and Track reads: a hit costs a scan of a cache
// line of hashes or two and an atomic flag, where a least-recently-used list
// would move the entry under a lock that every request takes.
package clockcache

import (
	"hash/maphash"
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
)

// ways is the most entries a bucket holds: their hashes fill a cache line.
const ways = 8

// Cache maps keys to values, holding at most a fixed number of entries, in a
// table of buckets of up to eight places each: no map node per key, so that an
// entry costs little more than its own allocation and two words of the table.
//
// A key has two buckets, picked by its hash, and is held in either: a new key
// goes to the emptier, so the buckets fill evenly and a key is pushed out of a
// full pair only when nearly all places are taken (with one bucket per key, a
// tenth of the keys would push each other out well below the bound). Two full
// buckets double the table until its places make the bound, so memory follows
// the entries held. Then a new key takes the place of an entry not read since its
// bucket's hand last passed it (CLOCK, or second chance): each entry has a flag
// set when it is read; the hand goes round its bucket's places, clearing the
// flags it finds set, and drops the first entry whose flag is clear. Recently
// read entries stay, as with a least-recently-used list; a new entry starts
// unflagged, so keys read once go before the ones read again.
//
// Get and Peek take no lock; Add, Update and Remove take a mutex. Values are
// pointers the cache hands out as they were stored: callers must not change what
// they point to. It is safe for concurrent use.
type Cache[K comparable, V any] struct {
	// table is replaced, under mu, by one twice its size when it grows.
	table atomic.Pointer[table[K, V]]
	hash  func(K) uint64

	mu sync.Mutex
	// buckets is the most buckets the table grows to: their places make at
	// most the size.
	buckets int
	held    int
}

// table holds the places of a Cache.
type table[K comparable, V any] struct {
	// hashes holds the hash of the key in each place, a bucket's ways of them
	// together, with the low bit set so that zero means an empty place. A reader
	// compares the entry's key too: two keys may have the same hash, and a
	// writer may change the place between the reader's loads of its hash and
	// its entry.
	hashes []atomic.Uint64
	// slots holds the entry in each place, parallel to hashes.
	slots []atomic.Pointer[entry[K, V]]
	// hands holds each bucket's eviction hand; the Cache's mu guards them.
	hands []uint8
	ways  int
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
	w := min(ways, size)
	seed := maphash.MakeSeed()
	c := &Cache[K, V]{buckets: size / w, hash: func(k K) uint64 { return maphash.Comparable(seed, k) }}
	c.table.Store(newTable[K, V](min(c.buckets, 8), w))
	return c
}

func newTable[K comparable, V any](buckets, ways int) *table[K, V] {
	return &table[K, V]{hashes: make([]atomic.Uint64, buckets*ways),
		slots: make([]atomic.Pointer[entry[K, V]], buckets*ways), hands: make([]uint8, buckets), ways: ways}
}

// pair returns the first places of the two buckets of hash h, which may be one.
func (t *table[K, V]) pair(h uint64) [2]int {
	n := uint64(len(t.hands))
	b1, _ := bits.Mul64(h, n)
	b2, _ := bits.Mul64(bits.RotateLeft64(h, 32), n)
	return [2]int{int(b1) * t.ways, int(b2) * t.ways}
}

// find returns the entry of key k, of hash h, and its place; or nil and -1.
// The entry is the one whose key was compared: a writer may have changed the
// place since.
func (t *table[K, V]) find(k K, h uint64) (*entry[K, V], int) {
	for _, at := range t.pair(h) {
		for i := at; i < at+t.ways; i++ {
			if t.hashes[i].Load() == h {
				if en := t.slots[i].Load(); en != nil && en.key == k {
					return en, i
				}
			}
		}
	}
	return nil, -1
}

// free returns an empty place of the bucket, of the two starting at pair, with
// more empty places, or -1.
func (t *table[K, V]) free(pair [2]int) int {
	at, most := -1, 0
	for _, lo := range pair {
		n, first := 0, -1
		for i := lo; i < lo+t.ways; i++ {
			if t.hashes[i].Load() == 0 {
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

// firstFree returns the first empty place of the first bucket starting at pair,
// else of the second, or -1.
func (t *table[K, V]) firstFree(pair [2]int) int {
	for _, lo := range pair {
		for i := lo; i < lo+t.ways; i++ {
			if t.hashes[i].Load() == 0 {
				return i
			}
		}
	}
	return -1
}

// victim returns the place, of the buckets starting at pair, whose entry to drop:
// the first whose flag is clear from the first bucket's hand, then from the
// second's, clearing the flags the hands pass; after a round of both, the place
// the first hand is at. The hand moves past the place it returns. The Cache's mu
// is held.
func (t *table[K, V]) victim(pair [2]int) int {
	for _, lo := range pair {
		hand := &t.hands[lo/t.ways]
		for range t.ways {
			i := lo + int(*hand)
			*hand = uint8((int(*hand) + 1) % t.ways)
			if read := &t.slots[i].Load().read; read.Load() {
				read.Store(false)
			} else {
				return i
			}
		}
	}
	hand := &t.hands[pair[0]/t.ways]
	i := pair[0] + int(*hand)
	*hand = uint8((int(*hand) + 1) % t.ways)
	return i
}

// put stores en, of hash h, in place i: the entry before its hash, so that a
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
		c.held--
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
	h := c.hash(k) | 1
	t := c.table.Load()
	if held, _ := t.find(k, h); held != nil {
		held.value.Store(v)
		held.read.Store(true)
		return
	}
	en := &entry[K, V]{key: k}
	en.value.Store(v)
	pair := t.pair(h)
	i := t.free(pair)
	for i < 0 && len(t.hands) < c.buckets {
		t = c.grow()
		pair = t.pair(h)
		i = t.free(pair)
	}
	if i < 0 {
		i = t.victim(pair)
		c.held--
	}
	t.put(i, h, en)
	c.held++
}

// grow replaces the table by one of twice its buckets, up to the most, holding
// its entries, and returns it; an entry whose buckets are both full is dropped,
// as by a hand. Readers of the old table meanwhile find what it held. c.mu is
// held.
func (c *Cache[K, V]) grow() *table[K, V] {
	old := c.table.Load()
	t := newTable[K, V](min(2*len(old.hands), c.buckets), old.ways)
	for i := range old.slots {
		h := old.hashes[i].Load()
		if h == 0 {
			continue
		}
		// The bucket the entry was in is split between two of the new table,
		// which take entries from it alone: its new bucket has room when the
		// table doubles.
		pair := t.pair(h)
		if old.pair(h)[0] != i/old.ways*old.ways {
			pair[0], pair[1] = pair[1], pair[0]
		}
		if at := t.firstFree(pair); at >= 0 {
			t.put(at, h, old.slots[i].Load())
		} else {
			c.held--
		}
	}
	c.table.Store(t)
	return t
}
