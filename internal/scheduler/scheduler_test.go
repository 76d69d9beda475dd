package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/usagekit/usage/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// memLeases keeps leases in memory as the store does (see store.Store.AcquireLease),
// so the scheduler's tests run in a synctest bubble. down makes it fail as an
// unreachable database would.
type memLeases struct {
	mu     sync.Mutex
	leases map[string]store.Lease
	down   atomic.Bool
}

var errDown = fmt.Errorf("%w: connection refused", store.ErrUnavailable)

func (m *memLeases) AcquireLease(_ context.Context, p *store.AcquireLeaseParams) (*store.AcquireLeaseResult, error) {
	if m.down.Load() {
		return nil, errDown
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.leases == nil {
		m.leases = map[string]store.Lease{}
	}
	l := m.leases[p.Name]
	if l.Holder == "" || l.Holder == p.Holder || !p.Now.Before(l.ExpiresAt) {
		l = store.Lease{Name: p.Name, Holder: p.Holder, ExpiresAt: p.Now.Add(p.TTL), Completed: l.Completed}
		m.leases[p.Name] = l
	}
	return &store.AcquireLeaseResult{Acquired: l.Holder == p.Holder, Lease: l}, nil
}

func (m *memLeases) ReleaseLease(_ context.Context, p *store.ReleaseLeaseParams) (*store.ReleaseLeaseResult, error) {
	if m.down.Load() {
		return nil, errDown
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.leases[p.Name]
	if l.Holder != p.Holder {
		return &store.ReleaseLeaseResult{}, nil
	}
	if p.Completed.After(l.Completed) {
		l.Completed = p.Completed
	}
	l.Holder, l.ExpiresAt = "", time.Time{}
	m.leases[p.Name] = l
	return &store.ReleaseLeaseResult{Released: true}, nil
}

// flakyLeases is one instance's view of shared leases, which it can lose.
type flakyLeases struct {
	*memLeases
	down atomic.Bool
}

func (f *flakyLeases) AcquireLease(ctx context.Context, p *store.AcquireLeaseParams) (*store.AcquireLeaseResult, error) {
	if f.down.Load() {
		return nil, errDown
	}
	return f.memLeases.AcquireLease(ctx, p)
}

const leaseTime = 30 * time.Second

func newScheduler(t *testing.T, leases Leases, holder string, jobs ...Job) *Scheduler {
	t.Helper()
	s, err := New(Options{Leases: leases, Holder: holder, LeaseTime: leaseTime, Now: time.Now}, jobs)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close(context.Background())) })
	return s
}

// slotCounter is a job that counts its runs per slot and by whom.
type slotCounter struct {
	mu   sync.Mutex
	runs map[time.Time][]string
}

func (c *slotCounter) job(holder string, every time.Duration) Job {
	return Job{Name: "count", Every: every, Run: func(context.Context) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.runs == nil {
			c.runs = map[time.Time][]string{}
		}
		slot := slotOf(time.Now(), every)
		c.runs[slot] = append(c.runs[slot], holder)
		return nil
	}}
}

func TestEachSlotRunsOnceAcrossThreeSchedulers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		leases := &memLeases{}
		var c slotCounter
		const every = time.Hour
		for i := range 3 {
			holder := fmt.Sprintf("i%d", i)
			newScheduler(t, leases, holder, c.job(holder, every)).Start()
		}
		time.Sleep(5*every + time.Minute)
		synctest.Wait()
		c.mu.Lock()
		defer c.mu.Unlock()
		require.Len(t, c.runs, 6, "the first slot and the five after it")
		for slot, by := range c.runs {
			require.Len(t, by, 1, "slot %v ran by %v", slot, by)
		}
	})
}

func TestRunDueRunsOnlyJobsWhoseSlotHasNotCompleted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		leases := &memLeases{}
		var c slotCounter
		a := newScheduler(t, leases, "a", c.job("a", time.Hour))
		b := newScheduler(t, leases, "b", c.job("b", time.Hour))
		runs, err := a.RunDue(t.Context())
		require.NoError(t, err)
		require.Len(t, runs, 1)
		runs, err = b.RunDue(t.Context())
		require.NoError(t, err)
		require.Empty(t, runs, "the slot completed on another instance")
		time.Sleep(time.Hour)
		runs, err = b.RunDue(t.Context())
		require.NoError(t, err)
		require.Len(t, runs, 1, "the next slot is due")
	})
}

func TestAFailedRunLeavesItsSlotDueForTheNextCheck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int64
		s := newScheduler(t, &memLeases{}, "a", Job{Name: "flaky", Every: time.Hour, Run: func(context.Context) error {
			if calls.Add(1) == 1 {
				return errors.New("boom")
			}
			return nil
		}})
		_, err := s.RunDue(t.Context())
		require.ErrorContains(t, err, "boom")
		runs, err := s.RunDue(t.Context())
		require.NoError(t, err)
		require.Len(t, runs, 1, "the slot runs again")
		runs, err = s.RunDue(t.Context())
		require.NoError(t, err)
		require.Empty(t, runs)
	})
}

func TestARunLongerThanTheLeaseKeepsItByRenewing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		leases := &memLeases{}
		var running atomic.Int64
		var overlapped atomic.Bool
		long := func(context.Context) error {
			if running.Add(1) > 1 {
				overlapped.Store(true)
			}
			defer running.Add(-1)
			time.Sleep(5 * leaseTime)
			return nil
		}
		var ran atomic.Int64
		for i := range 3 {
			s := newScheduler(t, leases, fmt.Sprint(i), Job{Name: "long", Every: 24 * time.Hour, Run: func(ctx context.Context) error {
				ran.Add(1)
				return long(ctx)
			}})
			s.Start()
		}
		time.Sleep(6 * leaseTime)
		synctest.Wait()
		require.False(t, overlapped.Load(), "no other instance ran the job while the first renewed its lease")
		require.Equal(t, int64(1), ran.Load())
	})
}

func TestAnotherSchedulerTakesOverWithinTheLeaseTimeWhenTheHolderGoesSilent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		shared := &memLeases{}
		leader := &flakyLeases{memLeases: shared}
		started := make(chan string, 2)
		job := func(holder string) Job {
			return Job{Name: "job", Every: 24 * time.Hour, Run: func(ctx context.Context) error {
				started <- holder
				if holder == "leader" {
					<-ctx.Done() // runs until it notices the lease is lost
					return ctx.Err()
				}
				return nil
			}}
		}
		var lost atomic.Pointer[Run]
		s, err := New(Options{Leases: leader, Holder: "leader", LeaseTime: leaseTime, Now: time.Now,
			OnRun: func(r Run) { lost.Store(&r) }}, []Job{job("leader")})
		require.NoError(t, err)
		defer s.Close(context.Background())
		s.Start()
		require.Equal(t, "leader", <-started)
		newScheduler(t, shared, "follower", job("follower")).Start()

		silent := time.Now()
		leader.down.Store(true) // the leader can no longer reach the store
		require.Equal(t, "follower", <-started)
		require.LessOrEqual(t, time.Since(silent), leaseTime+leaseTime/4,
			"the follower takes over within the lease time and one check")
		synctest.Wait()
		require.NotNil(t, lost.Load())
		require.ErrorIs(t, lost.Load().Err, ErrLeaseLost, "the leader stops once its lease may be another's")
	})
}

func TestCloseEndsRunningJobsAndFreesTheirLeases(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		leases := &memLeases{}
		started := make(chan struct{})
		s, err := New(Options{Leases: leases, Holder: "a", LeaseTime: leaseTime, Now: time.Now},
			[]Job{{Name: "job", Every: time.Hour, Run: func(ctx context.Context) error {
				close(started)
				<-ctx.Done()
				return ctx.Err()
			}}})
		require.NoError(t, err)
		s.Start()
		<-started
		require.NoError(t, s.Close(t.Context()))
		res, err := leases.AcquireLease(t.Context(), &store.AcquireLeaseParams{Name: "job", Holder: "b", Now: time.Now(), TTL: leaseTime})
		require.NoError(t, err)
		require.True(t, res.Acquired, "the lease is free at once")
		require.True(t, res.Lease.Completed.IsZero(), "the interrupted slot is not completed")
	})
}
