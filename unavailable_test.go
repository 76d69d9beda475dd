package usage_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
)

// switchable is a store whose reads of quotas and subjects fail, while down, with
// the error down holds: a transient one (matching store.ErrUnavailable) or not.
type switchable struct {
	store.Store
	down  atomic.Pointer[error]
	calls atomic.Int64 // reads that failed
}

func (s *switchable) fail() error {
	if err := s.down.Load(); err != nil {
		s.calls.Add(1)
		return *err
	}
	return nil
}

func (s *switchable) set(err error) {
	if err == nil {
		s.down.Store(nil)
		return
	}
	s.down.Store(&err)
}

func (s *switchable) GetQuotas(ctx context.Context, p *store.GetQuotasParams) (*store.GetQuotasResult, error) {
	if err := s.fail(); err != nil {
		return nil, err
	}
	return s.Store.GetQuotas(ctx, p)
}

func (s *switchable) GetSubject(ctx context.Context, p *store.GetSubjectParams) (*store.GetSubjectResult, error) {
	if err := s.fail(); err != nil {
		return nil, err
	}
	return s.Store.GetSubject(ctx, p)
}

var errRefused = fmt.Errorf("%w: dial tcp 127.0.0.1:5432: connect: connection refused", store.ErrUnavailable)

// newSwitchableMeter is a Meter on a SQLite store whose reads can be made to fail,
// with cfg's changes to e2eConfig, and the clock it runs on.
func newSwitchableMeter(t *testing.T, change func(*usage.Config)) (*usage.Meter, *switchable, *clock) {
	t.Helper()
	st, _ := testdb.SQLite().OpenNew(t)
	sw := &switchable{Store: st}
	c := &clock{now: time.Now()}
	cfg := e2eConfig(c.Now)
	if change != nil {
		change(cfg)
	}
	m, err := usage.New(sw, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { m.Close(context.Background()) })
	return m, sw, c
}

func TestAReadWaitsForTheDatabaseAndThenAnswers(t *testing.T) {
	m, sw, _ := newSwitchableMeter(t, func(c *usage.Config) { c.StrictQuotaCheck = true })
	ctx := context.Background()
	track(t, m, usage.Event{Subject: "acme", Metric: "credits", Value: 10})
	sw.set(errRefused)
	time.AfterFunc(200*time.Millisecond, func() { sw.set(nil) })
	q, err := m.CheckQuota(ctx, "acme", "credits", 1)
	require.NoError(t, err, "the read is retried until the database is back")
	require.False(t, q.Stale)
	require.Equal(t, usage.QuantityFromMicros(10*unit), q.Used)
	require.Greater(t, sw.calls.Load(), int64(1), "the read was tried again")
}

func TestAReadThatOutlivesItsContextMatchesUnavailableAndTheContextWithItsMethodPrefix(t *testing.T) {
	m, sw, _ := newSwitchableMeter(t, func(c *usage.Config) { c.StrictQuotaCheck = true })
	track(t, m, usage.Event{Subject: "acme", Metric: "credits", Value: 10})
	sw.set(errRefused)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	_, err := m.CheckQuota(ctx, "acme", "credits", 1)
	require.ErrorIs(t, err, usage.ErrUnavailable)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.True(t, strings.HasPrefix(err.Error(), "usage: check quota: "), "prefixed: %v", err)
	ctx, cancel = context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	_, err = m.Quotas(ctx, "acme")
	require.ErrorIs(t, err, usage.ErrUnavailable)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.True(t, strings.HasPrefix(err.Error(), "usage: quotas: "), "prefixed: %v", err)
}

func TestTrackingANewSubjectWhileTheDatabaseIsUnavailableFailsWithTrackPrefixAfterTheDeadline(t *testing.T) {
	m, sw, _ := newSwitchableMeter(t, nil)
	sw.set(errRefused)
	start := time.Now() // before the deadline is set, so the wait measured cannot fall short of it
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	_, err := m.Track(ctx, usage.Event{Subject: "newcomer", Metric: "credits", Value: 1})
	require.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond, "the plan lookup waited out the caller's deadline")
	require.ErrorIs(t, err, usage.ErrUnavailable)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.True(t, strings.HasPrefix(err.Error(), "usage: track: "), "prefixed: %v", err)

	sw.set(nil)
	_, err = m.Track(context.Background(), usage.Event{Subject: "newcomer", Metric: "credits", Value: 1})
	require.NoError(t, err, "the Meter recovers by itself")
}

func TestAPermanentStoreErrorIsReturnedAtOnceWithoutRetry(t *testing.T) {
	m, sw, _ := newSwitchableMeter(t, nil)
	broken := errors.New("relation \"usage_subjects\" does not exist")
	sw.set(broken)
	_, err := m.Track(context.Background(), usage.Event{Subject: "newcomer", Metric: "credits", Value: 1})
	require.ErrorIs(t, err, broken)
	require.False(t, errors.Is(err, usage.ErrUnavailable), "not transient: %v", err)
	require.Equal(t, int64(1), sw.calls.Load(), "tried once")
	require.True(t, strings.HasPrefix(err.Error(), "usage: track: "), "prefixed: %v", err)
}

func TestAnswerStaleAnswersCheckQuotaFromMemoryWhileTheDatabaseIsUnavailable(t *testing.T) {
	m, sw, c := newSwitchableMeter(t, func(cfg *usage.Config) {
		cfg.WhenUnavailable = usage.AnswerStale
		cfg.AssignmentTTL = time.Second
	})
	ctx := context.Background()
	track(t, m, usage.Event{Subject: "acme", Metric: "credits", Value: 10})
	fresh, err := m.Quotas(ctx, "acme") // the Meter learns every quota of acme
	require.NoError(t, err)
	require.False(t, fresh[0].Stale)

	c.Set(c.Now().Add(time.Minute)) // past the quota view's and the assignment's TTL
	sw.set(errRefused)
	start := time.Now()
	q, err := m.CheckQuota(ctx, "acme", "credits", 1)
	require.NoError(t, err)
	require.Less(t, time.Since(start), time.Second, "answered at once")
	require.True(t, q.Stale, "marked stale")
	require.Equal(t, usage.QuantityFromMicros(10*unit), q.Used, "what the Meter knew")
	require.True(t, q.Allowed)
	all, err := m.Quotas(ctx, "acme")
	require.NoError(t, err)
	require.True(t, all[0].Stale)

	// Of a subject it knows nothing about, it waits like WaitForStore.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err = m.CheckQuota(short, "stranger", "credits", 1)
	require.ErrorIs(t, err, usage.ErrUnavailable)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	sw.set(nil)
	q, err = m.CheckQuota(ctx, "acme", "credits", 1)
	require.NoError(t, err)
	require.False(t, q.Stale, "fresh again once the database is back")
}

func TestWhenUnavailableOutsideItsConstantsIsRefused(t *testing.T) {
	st, _ := testdb.SQLite().OpenNew(t)
	cfg := e2eConfig(time.Now)
	cfg.WhenUnavailable = 7
	_, err := usage.New(st, cfg)
	require.ErrorContains(t, err, "Config.WhenUnavailable")
}

// resolvesAtTheDeadline is a PlanResolver that answers only once the caller's
// context has ended: the host's licensing system was slow for a whole call.
type resolvesAtTheDeadline struct{}

func (resolvesAtTheDeadline) Resolve(ctx context.Context, subject string) (usage.Assignment, error) {
	if subject != "warm" {
		<-ctx.Done()
	}
	return usage.Assignment{Subject: subject, Plan: "strict"}, nil
}

func TestACallWhoseContextEndsBeforeItsFirstStoreReadMatchesUnavailableAndTheContext(t *testing.T) {
	m, _, _ := newSwitchableMeter(t, func(c *usage.Config) {
		c.StrictQuotaCheck = true
		c.PlanResolver = resolvesAtTheDeadline{}
	})
	_, err := m.CheckQuota(context.Background(), "warm", "credits", 1)
	require.NoError(t, err, "reads what every subject shares")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = m.CheckQuota(ctx, "acme", "credits", 1)
	require.ErrorIs(t, err, usage.ErrUnavailable, "the plan came at the deadline, so the quota read found the context ended: %v", err)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}
