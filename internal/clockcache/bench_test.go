package clockcache

import (
	"runtime"
	"strconv"
	"testing"
)

// BenchmarkGet reads keys from parallel goroutines, each going through the keys
// held in turn, as a service's tenants' requests interleave: 1,000 keys, and
// 131,072, enough that most reads miss the processor's caches. A cache as large as
// the keys added does not hold them all, some buckets having filled, so it reads
// those held and reports their share.
func BenchmarkGet(b *testing.B) {
	for _, keys := range []int{1000, 131_072} {
		b.Run("keys="+strconv.Itoa(keys), func(b *testing.B) { benchmarkGet(b, keys) })
	}
}

func benchmarkGet(b *testing.B, keys int) {
	c := New[string, int](keys)
	names := make([]string, keys)
	for i := range names {
		names[i] = "tenant-" + strconv.Itoa(i)
		c.Add(names[i], i)
	}
	held := names[:0]
	for _, k := range names {
		if _, ok := c.Peek(k); ok {
			held = append(held, k)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			if _, ok := c.Get(held[i%len(held)]); !ok {
				b.Error("a key held is missing")
				return
			}
		}
	})
	b.ReportMetric(float64(len(held))/float64(keys), "held/added")
}

// BenchmarkMemoryPerEntry fills a cache with a million string keys and reports
// the heap it takes beyond the keys and values themselves, for the bound's cost
// at a million subjects: per entry of the bound, and per entry held, fewer than
// the keys added as some buckets fill before others. Run it with -benchtime 1x.
func BenchmarkMemoryPerEntry(b *testing.B) {
	const n = 1_000_000
	keys := make([]string, n)
	vals := make([]int, n)
	for i := range keys {
		keys[i] = "tenant-" + strconv.Itoa(i)
		vals[i] = i
	}
	for b.Loop() {
		before := heapInUse()
		c := New[string, int](n)
		for i := range keys {
			c.Add(keys[i], vals[i])
		}
		heap := float64(heapInUse() - before)
		b.ReportMetric(heap/n, "B/entry")
		b.ReportMetric(heap/float64(c.Len()), "B/held")
		runtime.KeepAlive(c)
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
