package clockcache

import (
	"math/bits"
	"sync/atomic"
)

// Ways is the most slots in a bucket: a bucket's hashes fill a cache line, and
// a Cache's slots, each a hash beside its entry, two.
const Ways = 8

// Buckets lays a table's slots out in buckets of a few ways each, gives a key's
// hash two of them, and keeps each bucket's eviction hand: for Cache and for
// bounded maps elsewhere that keep their entries in slots of their own. A key
// goes to the emptier of its two buckets, so the buckets fill evenly and a key is
// pushed out of a full pair only when nearly every slot is taken (with one bucket
// per key, keys of buckets that fill first would push each other out well below
// the table's size).
//
// Buckets does not see the slots: its methods are told, by slot index, which are
// empty or flagged. Victim moves a hand, so its callers serialize their writes.
type Buckets struct {
	ways  int
	hands []uint8
}

// NewBuckets returns n buckets of ways slots each (ways at most Ways): slots 0 to
// n·ways-1.
func NewBuckets(n, ways int) Buckets {
	return Buckets{ways: ways, hands: make([]uint8, n)}
}

// Count is the number of buckets.
func (b *Buckets) Count() int { return len(b.hands) }

// Ways is the number of slots per bucket.
func (b *Buckets) Ways() int { return b.ways }

// Pair returns the first slots of the two buckets of hash h, which may be one.
func (b *Buckets) Pair(h uint64) [2]int {
	n := uint64(len(b.hands))
	b1, _ := bits.Mul64(h, n)
	b2, _ := bits.Mul64(bits.RotateLeft64(h, 32), n)
	return [2]int{int(b1) * b.ways, int(b2) * b.ways}
}

// PairFrom returns hash h's Pair in b, the bucket that the bucket of slot at, of
// smaller, splits into first: when b has twice smaller's buckets, it takes entries
// from that bucket alone, so an entry moved there from it finds room.
func (b *Buckets) PairFrom(h uint64, smaller *Buckets, at int) [2]int {
	pair := b.Pair(h)
	if smaller.Pair(h)[0] != at/smaller.ways*smaller.ways {
		pair[0], pair[1] = pair[1], pair[0]
	}
	return pair
}

// Emptier returns an empty slot of the bucket, of the two starting at pair, with
// more empty slots, or -1.
func (b *Buckets) Emptier(pair [2]int, empty func(i int) bool) int {
	at, most := -1, 0
	for _, lo := range pair {
		n, first := 0, -1
		for i := lo; i < lo+b.ways; i++ {
			if empty(i) {
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

// First returns the first empty slot of the first bucket starting at pair, else
// of the second, or -1.
func (b *Buckets) First(pair [2]int, empty func(i int) bool) int {
	for _, lo := range pair {
		for i := lo; i < lo+b.ways; i++ {
			if empty(i) {
				return i
			}
		}
	}
	return -1
}

// Victim returns the slot, of the two full buckets starting at pair, whose entry
// to replace, given each slot's flag (set when its entry is read): the first on
// whose flag is clear from the first bucket's hand, then from the second's,
// clearing the flags the hands pass (CLOCK, or second chance); after a round of
// both, the slot the first hand is at, whatever its flag, so that reads setting
// flags again behind the hands cannot keep them going round. The hand moves past
// the slot it returns.
func (b *Buckets) Victim(pair [2]int, flag func(i int) *atomic.Bool) int {
	for _, lo := range pair {
		for range b.ways {
			i := b.Advance(lo)
			if f := flag(i); f.Load() {
				f.Store(false)
			} else {
				return i
			}
		}
	}
	return b.Advance(pair[0])
}

// Advance returns the slot the hand of the bucket starting at lo is at, and moves
// the hand past it: for tables whose flags are not an atomic.Bool, which run
// Victim's round themselves.
func (b *Buckets) Advance(lo int) int {
	hand := &b.hands[lo/b.ways]
	i := lo + int(*hand)
	*hand = uint8((int(*hand) + 1) % b.ways)
	return i
}
