package clockcache

import (
	"strconv"
	"testing"
)

// BenchmarkGet reads keys from parallel goroutines, each going through 1,000 keys
// held in turn, as a service's tenants' requests interleave.
func BenchmarkGet(b *testing.B) {
	const keys = 1000
	c := New[string, int](keys)
	names := make([]string, keys)
	for i := range names {
		names[i] = "tenant-" + strconv.Itoa(i)
		c.Add(names[i], ptr(i))
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			if _, ok := c.Get(names[i%keys]); !ok {
				b.Error("a key held is missing")
				return
			}
		}
	})
}
