package clockcache

import (
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// cacheOf returns a cache of size holding keys, in order, each with its place
// among them, counted from one, as its value.
func cacheOf(size int, keys ...string) *Cache[string, int] {
	c := New[string, int](size)
	for i, k := range keys {
		c.Add(k, i+1)
	}
	return c
}

// consistent checks that each place holds an entry and its hash, or neither; that
// each entry is in one of its key's two buckets, with its key's hash, once; and
// that Len counts them.
func consistent[K comparable, V any](t *testing.T, c *Cache[K, V]) {
	t.Helper()
	seen := map[K]bool{}
	c.mu.Lock()
	tab := c.table.Load()
	require.Len(t, tab.slots, tab.Count()*tab.Ways())
	for i := range tab.slots {
		en, h := tab.slots[i].entry.Load(), tab.slots[i].hash.Load()
		if en == nil {
			require.Zero(t, h, "hash of empty place %d", i)
			continue
		}
		require.False(t, seen[en.key], "%v held twice", en.key)
		seen[en.key] = true
		require.Equal(t, c.hashOf(en.key), h, "hash of %v", en.key)
		require.Contains(t, tab.Pair(h), i/tab.Ways()*tab.Ways(), "bucket of %v", en.key)
	}
	c.mu.Unlock()
	require.Equal(t, len(seen), c.Len())
}

// holds checks that c holds each key of want with its value.
func holds(t *testing.T, c *Cache[string, int], want map[string]int) {
	t.Helper()
	for k, v := range want {
		held, ok := c.Peek(k)
		require.True(t, ok, k)
		require.Equal(t, v, *held, k)
	}
}

func TestAnEntryReadSinceTheHandPassedIsKeptAndAnUnreadOneDropped(t *testing.T) {
	c := cacheOf(3, "a", "b", "c")
	_, ok := c.Get("a")
	require.True(t, ok)
	c.Add("d", 4)
	_, ok = c.Peek("b")
	require.False(t, ok, "b, never read, is dropped")
	for k, want := range map[string]int{"a": 1, "c": 3, "d": 4} {
		v, ok := c.Get(k)
		require.True(t, ok, k)
		require.Equal(t, want, *v)
	}
	consistent(t, c)
}

func TestPeekDoesNotKeepAnEntry(t *testing.T) {
	c := cacheOf(2, "a", "b")
	_, ok := c.Peek("a")
	require.True(t, ok)
	c.Add("c", 3)
	_, ok = c.Peek("a")
	require.False(t, ok)
}

// TestTheCacheHoldsAtMostItsSize adds many more keys than the cache holds, for
// sizes within one bucket and across several: the cache never holds more than its
// size, and once its table has grown and every bucket has filled, it holds its
// places, which are its size but for less than a bucket.
func TestTheCacheHoldsAtMostItsSize(t *testing.T) {
	for _, size := range []int{1, 3, 8, 9, 100, 1000} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			c := New[string, int](size)
			places := c.buckets * min(Ways, size)
			require.LessOrEqual(t, places, size)
			require.Greater(t, places, size-Ways)
			last := 20*size + 50
			for i := range last {
				c.Add(strconv.Itoa(i), i)
				if i%3 == 0 {
					c.Get(strconv.Itoa(i))
				}
				require.LessOrEqual(t, c.Len(), size)
			}
			tab := c.table.Load()
			require.Len(t, tab.slots, places, "the table has grown to its most")
			held := 0
			for i := range tab.slots {
				if tab.slots[i].entry.Load() != nil {
					held++
				}
			}
			require.Equal(t, places, held)
			require.Equal(t, places, c.Len())
			v, ok := c.Get(strconv.Itoa(last - 1))
			require.True(t, ok, "the last key added is held")
			require.Equal(t, last-1, *v)
			consistent(t, c)
		})
	}
}

// TestTwoThirdsOfTheSizeAreAllHeld: a key has two buckets and goes to the
// emptier, so none is pushed out of a full bucket while most have room.
func TestTwoThirdsOfTheSizeAreAllHeld(t *testing.T) {
	const size = 1 << 14
	c := New[string, int](size)
	keys := size * 2 / 3
	for i := range keys {
		c.Add(strconv.Itoa(i), i)
	}
	require.Equal(t, keys, c.Len())
	for i := range keys {
		v, ok := c.Peek(strconv.Itoa(i))
		require.True(t, ok, "%d", i)
		require.Equal(t, i, *v)
	}
	consistent(t, c)
}

// TestTheTableFollowsTheEntriesHeld: a cache far from its size holds a table
// for its entries, not for its size, and readers of the table it grew out of
// still find what that table held.
func TestTheTableFollowsTheEntriesHeld(t *testing.T) {
	const size, keys = 1 << 16, 1000
	c := New[string, int](size)
	first := c.table.Load()
	c.Add("first", -1)
	for i := range keys {
		c.Add(strconv.Itoa(i), i)
	}
	require.Equal(t, keys+1, c.Len())
	require.LessOrEqual(t, len(c.table.Load().slots), size/8)
	en, _ := first.find("first", c.hashOf("first"))
	require.NotNil(t, en, "the table grown out of still holds its entry")
	require.Equal(t, -1, en.value)
	consistent(t, c)
}

func TestASizeBelowOneHoldsOneEntry(t *testing.T) {
	c := cacheOf(0, "a", "b")
	require.Equal(t, 1, c.Len())
	v, ok := c.Get("b")
	require.True(t, ok)
	require.Equal(t, 2, *v)
}

// TestAddingAKeyHeldReplacesItsValueInPlace adds a key again, to a cache with room
// and to a full one whose hand is at another entry: its value changes, it is held
// once, and no other entry is dropped.
func TestAddingAKeyHeldReplacesItsValueInPlace(t *testing.T) {
	c := cacheOf(3, "a")
	c.Add("a", 2)
	require.Equal(t, 1, c.Len())
	v, _ := c.Peek("a")
	require.Equal(t, 2, *v)
	consistent(t, c)

	c = cacheOf(2, "b", "a")
	c.Add("a", 3)
	require.Equal(t, 2, c.Len())
	holds(t, c, map[string]int{"a": 3, "b": 1})
	consistent(t, c)
}

func TestRemoveDropsTheEntryAndFreesItsPlace(t *testing.T) {
	c := New[string, int](3)
	for _, k := range []string{"a", "b", "c"} {
		c.Add(k, len(k))
	}
	c.Remove("a")
	c.Remove("missing")
	_, ok := c.Get("a")
	require.False(t, ok)
	require.Equal(t, 2, c.Len())
	consistent(t, c)
	c.Add("d", 4)
	for _, k := range []string{"b", "c", "d"} {
		_, ok := c.Peek(k)
		require.True(t, ok, "%s is kept: there was room for d", k)
	}
	for _, k := range []string{"b", "c", "d"} {
		c.Remove(k)
		consistent(t, c)
	}
	require.Equal(t, 0, c.Len())
	c.Add("e", 5)
	consistent(t, c)
}

func TestUpdateSeesTheValueHeldAndKeepsItWhenToldTo(t *testing.T) {
	c := New[string, int](2)
	c.Update("a", func(held *int) (int, bool) {
		require.Nil(t, held)
		return 1, true
	})
	one, _ := c.Peek("a")
	c.Update("a", func(held *int) (int, bool) {
		require.Same(t, one, held)
		return 2, false
	})
	v, _ := c.Peek("a")
	require.Same(t, one, v)
	require.Equal(t, 1, *v)
	c.Update("b", func(held *int) (int, bool) { return 2, false })
	_, ok := c.Peek("b")
	require.False(t, ok, "false from f adds nothing")
}

// TestAChangedValueLeavesThePointerHandedOutBefore changes a key's value by Add
// and by Update: a pointer Get returned before still reads the value it read.
func TestAChangedValueLeavesThePointerHandedOutBefore(t *testing.T) {
	c := New[string, int](2)
	c.Add("a", 1)
	first, _ := c.Get("a")
	c.Add("a", 2)
	second, _ := c.Get("a")
	c.Update("a", func(held *int) (int, bool) { return *held + 1, true })
	third, _ := c.Get("a")
	require.Equal(t, []int{1, 2, 3}, []int{*first, *second, *third})
	consistent(t, c)
}

// TestConcurrentUpdatesAreEachAppliedOnce increments one value from many
// goroutines: none of the increments is lost.
func TestConcurrentUpdatesAreEachAppliedOnce(t *testing.T) {
	c := New[string, int](4)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 500 {
				c.Update("n", func(held *int) (int, bool) {
					if held == nil {
						return 1, true
					}
					return *held + 1, true
				})
			}
		})
	}
	wg.Wait()
	v, _ := c.Get("n")
	require.Equal(t, 8*500, *v)
}

// TestConcurrentReadersAndWritersKeepTheBoundAndEachKeysValue runs readers,
// which take no lock, beside writers adding and removing more keys than the
// cache holds: a key read has its own value, and the cache stays within its size.
func TestConcurrentReadersAndWritersKeepTheBoundAndEachKeysValue(t *testing.T) {
	const size, keys = 16, 200
	c := New[int, int](size)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 2000 {
				k := (i*7 + w) % keys
				if i%11 == 0 {
					c.Remove(k)
				} else {
					c.Add(k, k)
				}
			}
		})
	}
	for r := range 4 {
		wg.Go(func() {
			for i := range 20000 {
				k := (i + r*50) % keys
				if v, ok := c.Get(k); ok && *v != k {
					t.Errorf("key %d read as %d", k, *v)
					return
				}
			}
		})
	}
	wg.Wait()
	require.LessOrEqual(t, c.Len(), size)
	consistent(t, c)
}

// TestTheHandDropsAnEntryWhileReadersKeepFlaggingEveryOne adds keys while readers
// read every key held: the hand, finding every flag set again, still drops one.
func TestTheHandDropsAnEntryWhileReadersKeepFlaggingEveryOne(t *testing.T) {
	c := New[int, int](2)
	c.Add(0, 0)
	c.Add(1, 1)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					c.Get(0)
					c.Get(1)
				}
			}
		})
	}
	for k := 2; k < 2000; k++ {
		c.Add(k, k)
		v, ok := c.Peek(k)
		require.True(t, ok)
		require.Equal(t, k, *v)
	}
	close(stop)
	wg.Wait()
	require.Equal(t, 2, c.Len())
	consistent(t, c)
}

// TestKeysWithTheSameHashAreBothHeld makes every key hash alike: each key held is
// found with its own value, and removing one leaves the other.
func TestKeysWithTheSameHashAreBothHeld(t *testing.T) {
	c := New[string, int](4)
	c.hash = func(string) uint64 { return 7 }
	c.Add("a", 1)
	c.Add("b", 2)
	require.Equal(t, 2, c.Len())
	holds(t, c, map[string]int{"a": 1, "b": 2})
	consistent(t, c)
	c.Remove("a")
	_, ok := c.Get("a")
	require.False(t, ok)
	v, ok := c.Get("b")
	require.True(t, ok, "removing a leaves b")
	require.Equal(t, 2, *v)
	c.Update("a", func(held *int) (int, bool) {
		require.Nil(t, held, "b's value is not a's")
		return 3, true
	})
	v, ok = c.Get("a")
	require.True(t, ok)
	require.Equal(t, 3, *v)
	require.Equal(t, 2, c.Len())
	consistent(t, c)
	c.Remove("a")
	c.Remove("b")
	require.Equal(t, 0, c.Len())
	consistent(t, c)
}

// TestKeysWithTheSameHashBeyondTheSizeAreNeverConfused adds more keys hashing
// alike than the cache holds: those held are found with their own values.
func TestKeysWithTheSameHashBeyondTheSizeAreNeverConfused(t *testing.T) {
	c := New[int, int](4)
	c.hash = func(int) uint64 { return 7 }
	for k := range 50 {
		c.Add(k, k)
		_, ok := c.Peek(k)
		require.True(t, ok, "%d, just added, is held", k)
		require.LessOrEqual(t, c.Len(), 4)
	}
	held := 0
	for k := range 50 {
		if v, ok := c.Peek(k); ok {
			held++
			require.Equal(t, k, *v)
		}
	}
	require.Equal(t, 4, held)
	consistent(t, c)
}
