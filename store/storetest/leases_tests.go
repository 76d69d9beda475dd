package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// leasesTests are the contract of maintenance leases: AcquireLease and ReleaseLease.
var leasesTests = []test{
	{"AcquireLeaseHoldsItForOneHolderUntilItExpires", acquireLeaseHoldsItForOneHolderUntilItExpires},
	{"AcquireLeaseGivesItToOneOfManyRacingHolders", acquireLeaseGivesItToOneOfManyRacingHolders},
	{"ReleaseLeaseFreesItAndRecordsTheCompletedSlot", releaseLeaseFreesItAndRecordsTheCompletedSlot},
}

const leaseTTL = time.Minute

func acquire(t *testing.T, st store.Store, holder string, now time.Time) *store.AcquireLeaseResult {
	t.Helper()
	res, err := st.AcquireLease(context.Background(), &store.AcquireLeaseParams{Name: "job", Holder: holder, Now: now, TTL: leaseTTL})
	require.NoError(t, err)
	return res
}

func acquireLeaseHoldsItForOneHolderUntilItExpires(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	res := acquire(t, st, "a", storeNow)
	require.True(t, res.Acquired, "a free lease is taken")
	require.Equal(t, "a", res.Lease.Holder)
	require.True(t, res.Lease.ExpiresAt.Equal(storeNow.Add(leaseTTL)), "expires %v", res.Lease.ExpiresAt)
	require.True(t, res.Lease.Completed.IsZero(), "no slot completed yet")

	res = acquire(t, st, "b", storeNow.Add(leaseTTL-time.Microsecond))
	require.False(t, res.Acquired, "another holder waits for the lease to expire")
	require.Equal(t, "a", res.Lease.Holder, "and is told who holds it")

	res = acquire(t, st, "a", storeNow.Add(leaseTTL/2))
	require.True(t, res.Acquired, "the holder renews its lease")
	renewed := storeNow.Add(leaseTTL / 2).Add(leaseTTL)
	require.True(t, res.Lease.ExpiresAt.Equal(renewed))
	require.False(t, acquire(t, st, "b", storeNow.Add(leaseTTL)).Acquired, "the renewal moved the expiry")

	res = acquire(t, st, "b", renewed)
	require.True(t, res.Acquired, "an expired lease is taken over")
	require.False(t, acquire(t, st, "a", renewed).Acquired, "the old holder has lost it")
}

func acquireLeaseGivesItToOneOfManyRacingHolders(t *testing.T, h Harness) {
	t.Parallel()
	st, loc := open(t, h)
	stores := []store.Store{st, openAt(t, h, loc)}
	const holders = 16
	for round := range 3 {
		// Each round starts once the lease of the round before has expired.
		now := storeNow.Add(time.Duration(round) * 2 * leaseTTL)
		won := make([]bool, holders)
		var wg sync.WaitGroup
		for i := range holders {
			wg.Go(func() {
				res, err := stores[i%2].AcquireLease(context.Background(), &store.AcquireLeaseParams{
					Name: "job", Holder: fmt.Sprintf("h%d", i), Now: now, TTL: leaseTTL})
				if err != nil {
					t.Errorf("holder %d: %v", i, err)
					return
				}
				won[i] = res.Acquired
			})
		}
		wg.Wait()
		winners := 0
		for _, w := range won {
			if w {
				winners++
			}
		}
		require.Equal(t, 1, winners, "round %d: exactly one holder acquires", round)
	}
}

func releaseLeaseFreesItAndRecordsTheCompletedSlot(t *testing.T, h Harness) {
	t.Parallel()
	ctx := context.Background()
	st, _ := open(t, h)
	slot := storeNow.Truncate(time.Hour)
	require.True(t, acquire(t, st, "a", storeNow).Acquired)

	rel, err := st.ReleaseLease(ctx, &store.ReleaseLeaseParams{Name: "job", Holder: "b", Completed: slot})
	require.NoError(t, err)
	require.False(t, rel.Released, "only the holder releases")

	rel, err = st.ReleaseLease(ctx, &store.ReleaseLeaseParams{Name: "job", Holder: "a", Completed: slot})
	require.NoError(t, err)
	require.True(t, rel.Released)
	res := acquire(t, st, "b", storeNow)
	require.True(t, res.Acquired, "a released lease is free before it would have expired")
	require.True(t, res.Lease.Completed.Equal(slot), "the completed slot is kept: %v", res.Lease.Completed)

	_, err = st.ReleaseLease(ctx, &store.ReleaseLeaseParams{Name: "job", Holder: "b", Completed: slot.Add(-time.Hour)})
	require.NoError(t, err)
	res = acquire(t, st, "c", storeNow)
	require.True(t, res.Acquired)
	require.True(t, res.Lease.Completed.Equal(slot), "an earlier slot does not replace a later one")

	_, err = st.ReleaseLease(ctx, &store.ReleaseLeaseParams{Name: "job", Holder: "c"})
	require.NoError(t, err)
	res = acquire(t, st, "d", storeNow)
	require.True(t, res.Lease.Completed.Equal(slot), "a release without a slot keeps the slot")
}
