package sqlstore

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/internal/clockcache"
)

// inBucket returns the k-th hash of bucket b of a hashSet of buckets buckets.
func inBucket(b, k, buckets int) uint64 { return uint64(k*buckets+b) << 2 }

func TestAHashSetHoldsWhatFitsItsBucketsAndNoMore(t *testing.T) {
	const buckets = 8
	s := newHashSet(buckets * clockcache.Ways)
	var all []uint64
	for b := range buckets {
		for k := range clockcache.Ways {
			all = append(all, inBucket(b, k, buckets))
		}
	}
	s.remember(all)
	require.Equal(t, len(all), s.len())
	for _, h := range all {
		require.True(t, s.has(h), "%d", h)
		require.True(t, s.has(h|slotMet|slotHeld), "the lowest two bits are not told apart")
	}
	require.False(t, s.has(inBucket(3, clockcache.Ways, buckets)), "never remembered")

	for k := range 1000 {
		s.remember([]uint64{inBucket(k%buckets, clockcache.Ways+k, buckets)})
		require.Equal(t, buckets*clockcache.Ways, s.len(), "at its bound")
	}
}

func TestAHashSetKeepsTheHashesLookedUpSinceItsHandPassed(t *testing.T) {
	const buckets = 2
	s := newHashSet(buckets * clockcache.Ways)
	kept := inBucket(1, 0, buckets)
	s.remember([]uint64{kept})
	for k := 1; k < 200; k++ {
		require.True(t, s.has(kept), "after %d more hashes in its bucket", k-1)
		s.remember([]uint64{inBucket(1, k, buckets)})
	}
	require.True(t, s.has(inBucket(1, 199, buckets)), "the newest is held")
	require.False(t, s.has(inBucket(1, 1, buckets)), "one never looked up is dropped")
}

func TestAHashSetIsLookedUpWhileItRemembers(t *testing.T) {
	s := newHashSet(64)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for k := range 2000 {
				h := uint64(k*4+g) << 2
				if g == 0 {
					s.remember([]uint64{h})
				} else {
					s.has(h)
				}
			}
		})
	}
	wg.Wait()
	require.LessOrEqual(t, s.len(), 64)
}

func TestAHashSetSmallerThanABucketHoldsItsSize(t *testing.T) {
	s := newHashSet(3)
	s.remember([]uint64{4, 8, 12, 16, 20})
	require.Equal(t, 3, s.len())
	require.True(t, s.has(20))
}
