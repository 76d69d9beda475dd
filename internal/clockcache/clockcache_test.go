package clockcache

import (
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func ptr(v int) *int { return &v }

// cacheOf returns a cache of size holding keys, in order, each with its place
// among them, counted from one, as its value.
func cacheOf(size int, keys ...string) *Cache[string, int] {
	c := New[string, int](size)
	for i, k := range keys {
		c.Add(k, ptr(i+1))
	}
	return c
}

// consistent checks that the ring and the map hold the same entries, each at its
// index.
func consistent[K comparable, V any](t *testing.T, c *Cache[K, V]) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	require.LessOrEqual(t, len(c.ring), c.size)
	inMap := 0
	c.entries.Range(func(h, e any) bool {
		inMap++
		en := e.(*entry[K, V])
		require.Equal(t, h, c.hash(en.key))
		require.Same(t, en, c.ring[en.index], "entry of %v at its index", en.key)
		return true
	})
	require.Equal(t, len(c.ring), inMap)
}

func TestAnEntryReadSinceTheHandPassedIsKeptAndAnUnreadOneDropped(t *testing.T) {
	c := cacheOf(3, "a", "b", "c")
	_, ok := c.Get("a")
	require.True(t, ok)
	c.Add("d", ptr(4))
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
	c.Add("c", ptr(3))
	_, ok = c.Peek("a")
	require.False(t, ok)
}

func TestTheCacheHoldsAtMostItsSize(t *testing.T) {
	c := New[string, int](10)
	for i := range 1000 {
		c.Add(strconv.Itoa(i), ptr(i))
		if i%3 == 0 {
			c.Get(strconv.Itoa(i))
		}
		require.LessOrEqual(t, c.Len(), 10)
	}
	require.Equal(t, 10, c.Len())
	_, ok := c.Get("999")
	require.True(t, ok, "the last key added is held")
	consistent(t, c)
}

func TestASizeBelowOneHoldsOneEntry(t *testing.T) {
	c := cacheOf(0, "a", "b")
	require.Equal(t, 1, c.Len())
	v, ok := c.Get("b")
	require.True(t, ok)
	require.Equal(t, 2, *v)
}

func TestAddingAKeyHeldReplacesItsValueInPlace(t *testing.T) {
	c := New[string, int](2)
	c.Add("a", ptr(1))
	c.Add("a", ptr(2))
	require.Equal(t, 1, c.Len())
	v, _ := c.Get("a")
	require.Equal(t, 2, *v)
	consistent(t, c)
}

func TestRemoveDropsTheEntryAndFreesItsPlace(t *testing.T) {
	c := New[string, int](3)
	for _, k := range []string{"a", "b", "c"} {
		c.Add(k, ptr(len(k)))
	}
	c.Remove("a")
	c.Remove("missing")
	_, ok := c.Get("a")
	require.False(t, ok)
	require.Equal(t, 2, c.Len())
	consistent(t, c)
	c.Add("d", ptr(4))
	for _, k := range []string{"b", "c", "d"} {
		_, ok := c.Peek(k)
		require.True(t, ok, "%s is kept: there was room for d", k)
	}
	for _, k := range []string{"b", "c", "d"} {
		c.Remove(k)
		consistent(t, c)
	}
	require.Equal(t, 0, c.Len())
	c.Add("e", ptr(5))
	consistent(t, c)
}

func TestUpdateSeesTheValueHeldAndKeepsItWhenToldTo(t *testing.T) {
	c := New[string, int](2)
	c.Update("a", func(held *int) *int {
		require.Nil(t, held)
		return ptr(1)
	})
	one, _ := c.Peek("a")
	c.Update("a", func(held *int) *int { return held })
	v, _ := c.Peek("a")
	require.Same(t, one, v)
	c.Update("a", func(held *int) *int { return nil })
	v, _ = c.Peek("a")
	require.Same(t, one, v)
	c.Update("b", func(held *int) *int { return nil })
	_, ok := c.Peek("b")
	require.False(t, ok, "a nil from f adds nothing")
}

// TestConcurrentUpdatesAreEachAppliedOnce increments one value from many
// goroutines: none of the increments is lost.
func TestConcurrentUpdatesAreEachAppliedOnce(t *testing.T) {
	c := New[string, int](4)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 500 {
				c.Update("n", func(held *int) *int {
					if held == nil {
						return ptr(1)
					}
					return ptr(*held + 1)
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
					c.Add(k, ptr(k))
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
	c.Add(0, ptr(0))
	c.Add(1, ptr(1))
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
		c.Add(k, ptr(k))
		v, ok := c.Peek(k)
		require.True(t, ok)
		require.Equal(t, k, *v)
	}
	close(stop)
	wg.Wait()
	require.Equal(t, 2, c.Len())
	consistent(t, c)
}

// TestKeysWithTheSameHashAreNeverConfused makes every key hash alike: a key is
// found only while it holds the place, never with another key's value.
func TestKeysWithTheSameHashAreNeverConfused(t *testing.T) {
	c := New[string, int](4)
	c.hash = func(string) uint64 { return 7 }
	c.Add("a", ptr(1))
	c.Add("b", ptr(2))
	_, ok := c.Get("a")
	require.False(t, ok, "b took a's place")
	v, ok := c.Get("b")
	require.True(t, ok)
	require.Equal(t, 2, *v)
	c.Remove("a")
	_, ok = c.Get("b")
	require.True(t, ok, "removing a, not held, leaves b")
	c.Update("a", func(held *int) *int {
		require.Nil(t, held, "b's value is not a's")
		return ptr(3)
	})
	require.Equal(t, 1, c.Len())
	consistent(t, c)
	c.Remove("a")
	require.Equal(t, 0, c.Len())
	consistent(t, c)
}
