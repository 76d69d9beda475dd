package sqlstore

import (
	"fmt"
	"testing"

	"github.com/usagekit/usage/internal/clockcache"
)

// Below its bound a clockMap drops nothing, and its slots follow the entries it
// holds rather than the bound.
func TestAClockMapHoldsEveryKeyBelowItsBoundInSlotsThatFollowThem(t *testing.T) {
	const bound, keys = 1 << 16, 1000
	m := newClockMap[string, int](bound)
	for i := range keys {
		m.put(fmt.Sprint("k", i), i)
	}
	for i := range keys {
		if v, ok := m.get(fmt.Sprint("k", i)); !ok || v != i {
			t.Fatalf("k%d: %d, %v", i, v, ok)
		}
	}
	if n := m.len(); n != keys {
		t.Fatalf("%d entries held, want %d", n, keys)
	}
	if len(m.slots) > bound/8 {
		t.Fatalf("%d slots for %d entries under a bound of %d", len(m.slots), keys, bound)
	}
}

// Past its bound a clockMap holds no more than the bound, and the key put last.
func TestAClockMapStaysWithinItsBound(t *testing.T) {
	for _, bound := range []int{1, 3, 8, 9, 100, 1000} {
		m := newClockMap[string, int](bound)
		for i := range 10 * bound {
			k := fmt.Sprint("k", i)
			m.put(k, i)
			if n := m.len(); n > bound {
				t.Fatalf("bound %d: %d entries held after %d put", bound, n, i+1)
			}
			if v, ok := m.get(k); !ok || v != i {
				t.Fatalf("bound %d: the key put last, %s: %d, %v", bound, k, v, ok)
			}
		}
	}
}

// In a full bucket, a new key takes the place of one not looked up since the hand
// last passed, and a key put again keeps its place.
func TestAClockMapKeepsTheKeyLookedUpSinceTheHandPassed(t *testing.T) {
	m := newClockMap[string, int](clockcache.Ways)
	for i := range clockcache.Ways {
		m.put(fmt.Sprint("k", i), i)
	}
	m.get("k0")
	m.put("k1", 10)
	m.put("new", -1)
	if v, ok := m.get("k0"); !ok || v != 0 {
		t.Fatalf("k0, looked up: %d, %v", v, ok)
	}
	if _, ok := m.get("k1"); ok {
		t.Fatal("k1, put again but not looked up since, is kept in place of an older key")
	}
	if _, ok := m.get("k2"); !ok {
		t.Fatal("k2 is dropped though k1 was the hand's first unflagged entry")
	}
	if n := m.len(); n != clockcache.Ways {
		t.Fatalf("%d entries held, want %d", n, clockcache.Ways)
	}
}

// Two keys for every three of a clockMap's bound are all held: a key has two
// buckets and goes to the emptier, so none is pushed out of a full bucket while
// most have room.
func TestAClockMapTwoThirdsFullDropsNothing(t *testing.T) {
	const bound = 1 << 14
	m := newClockMap[string, int](bound)
	keys := bound * 2 / 3
	for i := range keys {
		m.put(fmt.Sprint("k", i), i)
	}
	if n := m.len(); n != keys {
		t.Fatalf("%d of %d keys held under a bound of %d", n, keys, bound)
	}
}
