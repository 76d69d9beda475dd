package dispatch

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/usagekit/usage/store"
)

// fakeStore holds pending deliveries in memory, as many as a test asks, without
// building them until claimed: the dispatcher's bound is what the test measures.
type fakeStore struct {
	store.Store // the methods a dispatcher does not call panic

	mu         sync.Mutex
	pending    int
	next       int64
	maxLimit   int
	claimed    map[int64]bool
	maxClaimed int
	completed  map[int64]store.CompleteDeliveryParams
	created    time.Time
}

func newFakeStore(pending int, created time.Time) *fakeStore {
	return &fakeStore{pending: pending, claimed: map[int64]bool{}, created: created,
		completed: map[int64]store.CompleteDeliveryParams{}}
}

func (f *fakeStore) ClaimDeliveries(_ context.Context, p *store.ClaimDeliveriesParams) (*store.ClaimDeliveriesResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.maxLimit = max(f.maxLimit, p.Limit)
	out := &store.ClaimDeliveriesResult{}
	for len(out.Alerts) < p.Limit && f.pending > 0 {
		f.pending--
		f.next++
		f.claimed[f.next] = true
		out.Alerts = append(out.Alerts, store.Alert{ID: f.next, CreatedAt: f.created,
			Delivery: store.Delivery{ID: f.next, Attempts: 1}})
	}
	f.maxClaimed = max(f.maxClaimed, len(f.claimed))
	return out, nil
}

func (f *fakeStore) CompleteDelivery(_ context.Context, p *store.CompleteDeliveryParams) (*store.CompleteDeliveryResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.claimed, p.ID)
	f.completed[p.ID] = *p
	return &store.CompleteDeliveryResult{Completed: true}, nil
}

func (f *fakeStore) done() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.completed)
}

func options(st store.Store, deliver Deliver) Options {
	return Options{Store: st, Deliver: deliver, Workers: 4, Poll: time.Second, Lease: time.Minute,
		GiveUpAfter: 72 * time.Hour, MinDelay: 5 * time.Second, MaxDelay: time.Hour, Now: time.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func delivered(context.Context, store.Alert) Outcome { return Outcome{DeliveredTo: []string{"x"}} }

func TestTheDispatcherHoldsNoMoreDeliveriesThanWorkersWhateverIsPending(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		st := newFakeStore(100_000, time.Now())
		d := Start(options(st, delivered))
		for st.done() < 100_000 {
			time.Sleep(time.Second)
		}
		require.NoError(t, d.Stop(context.Background()))
		require.LessOrEqual(t, st.maxLimit, 4, "never claims more than the free workers")
		require.LessOrEqual(t, st.maxClaimed, 4, "never holds more claimed deliveries than workers")
		for _, p := range st.completed {
			require.Equal(t, store.DeliveryDelivered, p.State)
		}
	})
}

func TestStopCancelsAttemptsInProgressAndLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		st := newFakeStore(10, time.Now())
		started := make(chan struct{}, 10)
		d := Start(options(st, func(ctx context.Context, _ store.Alert) Outcome {
			started <- struct{}{}
			<-ctx.Done()
			return Outcome{Err: ctx.Err()}
		}))
		for range 4 {
			<-started
		}
		require.NoError(t, d.Stop(context.Background()))
		require.Zero(t, st.done(), "cancelled attempts are not recorded: their leases make them due again")
	})
}

func TestAFailedAttemptIsDueAgainAfterABackoffThatHonoursRetryAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newFakeStore(2, time.Now())
		d := Start(options(st, func(_ context.Context, a store.Alert) Outcome {
			if a.ID == 1 {
				return Outcome{Err: errors.New("503")}
			}
			return Outcome{Err: errors.New("429"), RetryAfter: 2 * time.Hour}
		}))
		for st.done() < 2 {
			time.Sleep(time.Second)
		}
		require.NoError(t, d.Stop(context.Background()))
		first, second := st.completed[1], st.completed[2]
		require.Equal(t, store.DeliveryPending, first.State)
		require.Equal(t, "503", first.Error)
		wait := first.NextAt.Sub(first.Now)
		require.True(t, wait >= 2500*time.Millisecond && wait <= 5*time.Second, "the first backoff is between half and all of MinDelay: %v", wait)
		require.GreaterOrEqual(t, second.NextAt.Sub(second.Now), 2*time.Hour, "Retry-After is honoured")
	})
}

func TestBackoffDoublesUpToTheCapWithJitter(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 5 * time.Second, 2: 10 * time.Second, 3: 20 * time.Second, 30: time.Hour} {
		for range 100 {
			got := backoff(5*time.Second, time.Hour, n)
			require.True(t, got >= want/2 && got <= want, "attempt %d: %v not in [%v, %v]", n, got, want/2, want)
		}
	}
}

func TestAPermanentFailureOrAnOldAlertFailsTheDelivery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newFakeStore(1, time.Now())
		d := Start(options(st, func(context.Context, store.Alert) Outcome {
			return Outcome{Err: errors.New("410 gone"), Permanent: true}
		}))
		for st.done() < 1 {
			time.Sleep(time.Second)
		}
		require.NoError(t, d.Stop(context.Background()))
		require.Equal(t, store.DeliveryFailed, st.completed[1].State)
		require.Equal(t, "410 gone", st.completed[1].Error)

		old := newFakeStore(1, time.Now().Add(-73*time.Hour))
		calls := 0
		d = Start(options(old, func(context.Context, store.Alert) Outcome { calls++; return Outcome{} }))
		for old.done() < 1 {
			time.Sleep(time.Second)
		}
		require.NoError(t, d.Stop(context.Background()))
		require.Equal(t, store.DeliveryFailed, old.completed[1].State)
		require.Zero(t, calls, "an alert older than GiveUpAfter is not delivered")
	})
}

func TestARetryThatWouldPassTheGiveUpTimeFailsInstead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newFakeStore(1, time.Now().Add(-72*time.Hour+time.Second))
		d := Start(options(st, func(context.Context, store.Alert) Outcome { return Outcome{Err: errors.New("503")} }))
		for st.done() < 1 {
			time.Sleep(time.Second)
		}
		require.NoError(t, d.Stop(context.Background()))
		require.Equal(t, store.DeliveryFailed, st.completed[1].State)
		require.Contains(t, st.completed[1].Error, "gave up")
	})
}
