package usage

import (
	"context"
	"errors"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/internal/testdb"
)

// memoryMeter is a Meter on SQLite whose clock the test sets.
func memoryMeter(t *testing.T, strict bool) (*Meter, *atomic.Pointer[time.Time]) {
	t.Helper()
	clock := new(atomic.Pointer[time.Time])
	t0 := time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)
	clock.Store(&t0)
	st, _ := testdb.SQLite().OpenNew(t)
	m := newTestMeterOn(t, st, &Config{Metrics: ExampleMetrics(), Plans: ExamplePlans(), DefaultPlan: "basic",
		StrictQuotaCheck: strict, Test: TestConfig{Time: func() time.Time { return *clock.Load() }}})
	return m, clock
}

// checkedOnce tracks 7 api_calls for acme and checks that quota once, so that the
// next check is answered from memory, and requires that it is.
func checkedOnce(t *testing.T, m *Meter) {
	t.Helper()
	ctx := context.Background()
	_, err := m.Track(ctx, Event{Subject: "acme", Metric: MetricAPICalls, Value: 7})
	require.NoError(t, err)
	_, err = m.CheckQuota(ctx, "acme", MetricAPICalls, 1)
	require.NoError(t, err)
	var s QuotaStatus
	require.True(t, m.checkFromMemory(&s, "acme", MetricAPICalls, 1), "answered from memory")
}

// fullPath is CheckQuota's answer without memory's: what checkFromMemory must
// give whenever it answers.
func fullPath(t *testing.T, m *Meter, subject, metric string, n float64) QuotaStatus {
	t.Helper()
	met, err := m.subjectMetric(subject, metric)
	require.NoError(t, err)
	want, why := quantityOf(n, met.scale())
	require.Empty(t, why)
	s, err := m.quota(context.Background(), "check quota", subject, met, want)
	require.NoError(t, err)
	return s
}

// TestCheckQuotaFromMemoryAnswersAsItsFullPath: when the subject's assignment,
// period and quota row are in memory, CheckQuota's short path gives exactly the
// full path's answer, on a quota with overage and on one without, below, at and
// past its limit.
func TestCheckQuotaFromMemoryAnswersAsItsFullPath(t *testing.T) {
	t.Parallel()
	m, _ := memoryMeter(t, false)
	ctx := context.Background()
	for _, ev := range []Event{
		{Subject: "acme", Metric: MetricAPICalls, Value: 998},
		{Subject: "acme", Metric: MetricStorageGB, Value: 4.5},
		{Subject: "acme", Metric: MetricUsers, Value: 1, User: "ana"},
		{Subject: "acme", Metric: MetricUsers, Value: 1, User: "rui"},
	} {
		_, err := m.Track(ctx, ev)
		require.NoError(t, err)
	}
	check := func(metric string, n float64) QuotaStatus {
		t.Helper()
		var s QuotaStatus
		require.True(t, m.checkFromMemory(&s, "acme", metric, n), "%s %g: answered from memory", metric, n)
		require.Equal(t, fullPath(t, m, "acme", metric, n), s, "%s %g", metric, n)
		got, err := m.CheckQuota(ctx, "acme", metric, n)
		require.NoError(t, err)
		require.Equal(t, s, got, "%s %g: CheckQuota gives memory's answer", metric, n)
		return s
	}
	for _, metric := range []string{MetricAPICalls, MetricStorageGB, MetricUsers} {
		// The first check reads the quota row into the view.
		_, err := m.CheckQuota(ctx, "acme", metric, 1)
		require.NoError(t, err)
	}
	for _, n := range []float64{1, 2, 2.5, 0.000001, 1e6} {
		check(MetricAPICalls, n)
		check(MetricStorageGB, n)
	}
	require.True(t, check(MetricAPICalls, 5).Allowed, "api_calls has overage")
	require.True(t, check(MetricUsers, 1).Allowed, "a third user of 3")
	_, err := m.Track(ctx, Event{Subject: "acme", Metric: MetricUsers, Value: 1, User: "eva"})
	require.NoError(t, err)
	s := check(MetricUsers, 1)
	require.False(t, s.Allowed, "a fourth user of 3, without overage")
	require.Equal(t, "3", s.Used.String())
}

// TestCheckQuotaFromMemoryLeavesToTheFullPath: whenever memory cannot answer
// exactly, or the arguments need the full checks, the short path declines, and
// CheckQuota answers or refuses as its full path does.
func TestCheckQuotaFromMemoryLeavesToTheFullPath(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	declines := func(t *testing.T, m *Meter, subject, metric string, n float64) {
		t.Helper()
		var s QuotaStatus
		require.False(t, m.checkFromMemory(&s, subject, metric, n), "%q %q %g", subject, metric, n)
	}
	setUp := func(t *testing.T) (*Meter, *atomic.Pointer[time.Time]) {
		m, clock := memoryMeter(t, false)
		checkedOnce(t, m)
		return m, clock
	}

	t.Run("ArgumentsTheFullPathChecks", func(t *testing.T) {
		m, _ := setUp(t)
		for _, n := range []float64{0, -1, math.NaN(), math.Inf(1), 2e12} {
			declines(t, m, "acme", MetricAPICalls, n)
			_, err := m.CheckQuota(ctx, "acme", MetricAPICalls, n)
			require.ErrorIs(t, err, ErrInvalidEvent, "n %g", n)
		}
		declines(t, m, "acme", "nope", 1)
		_, err := m.CheckQuota(ctx, "acme", "nope", 1)
		require.ErrorIs(t, err, ErrInvalidEvent)
		for _, subject := range []string{"", "a\x00b", "a\x7fb", string(make([]byte, maxIDBytes+1))} {
			declines(t, m, subject, MetricAPICalls, 1)
			_, err := m.CheckQuota(ctx, subject, MetricAPICalls, 1)
			require.ErrorIs(t, err, ErrInvalidEvent, "subject %q", subject)
		}
		// Valid but not plain ASCII: the full path answers.
		declines(t, m, "café", MetricAPICalls, 1)
		s, err := m.CheckQuota(ctx, "café", MetricAPICalls, 1)
		require.NoError(t, err)
		require.Equal(t, "0", s.Used.String())
	})
	t.Run("AQuotaRowNotInTheView", func(t *testing.T) {
		m, _ := setUp(t)
		declines(t, m, "acme", MetricDocuments, 1)
		declines(t, m, "globex", MetricAPICalls, 1)
		// A period without usage yet is known to the view as missing: the full
		// path answers from the plan.
		s, err := m.CheckQuota(ctx, "globex", MetricAPICalls, 1)
		require.NoError(t, err)
		require.Equal(t, "1000", s.Limit.String())
		declines(t, m, "globex", MetricAPICalls, 1)
	})
	// pastTTL moves the set-up's clock past ttl: the short path declines, the
	// full path answers, and then memory answers again, read afresh.
	pastTTL := func(t *testing.T, ttl func(*Meter) time.Duration) (QuotaStatus, time.Time) {
		t.Helper()
		m, clock := setUp(t)
		later := clock.Load().Add(ttl(m) + time.Second)
		clock.Store(&later)
		declines(t, m, "acme", MetricAPICalls, 1)
		s, err := m.CheckQuota(ctx, "acme", MetricAPICalls, 1)
		require.NoError(t, err)
		var again QuotaStatus
		require.True(t, m.checkFromMemory(&again, "acme", MetricAPICalls, 1), "read again, memory answers")
		return s, later
	}
	t.Run("AViewEntryPastItsTimeToLive", func(t *testing.T) {
		s, later := pastTTL(t, func(m *Meter) time.Duration { return m.cfg.QuotaViewTTL })
		require.Equal(t, "7", s.Used.String())
		require.True(t, later.Equal(s.At))
	})
	t.Run("AnAssignmentPastItsExpiry", func(t *testing.T) {
		pastTTL(t, func(m *Meter) time.Duration { return m.cfg.AssignmentTTL })
	})
	t.Run("ThisMetersAssign", func(t *testing.T) {
		m, _ := setUp(t)
		require.NoError(t, m.Assign(ctx, Assignment{Subject: "acme", Plan: "professional"}))
		declines(t, m, "acme", MetricAPICalls, 1)
		s, err := m.CheckQuota(ctx, "acme", MetricAPICalls, 1)
		require.NoError(t, err)
		require.Equal(t, "10000", s.Limit.String(), "the new plan's limit at once")
		var again QuotaStatus
		require.True(t, m.checkFromMemory(&again, "acme", MetricAPICalls, 1))
		require.Equal(t, s, again)
	})
	t.Run("ThisMetersAssignToAnotherCycle", func(t *testing.T) {
		m, clock := setUp(t)
		anchor := clock.Load().Add(-48 * time.Hour)
		require.NoError(t, m.Assign(ctx, Assignment{Subject: "acme", Plan: "basic", Cycle: CycleAnniversary, Anchor: anchor}))
		declines(t, m, "acme", MetricAPICalls, 1)
		s, err := m.CheckQuota(ctx, "acme", MetricAPICalls, 1)
		require.NoError(t, err)
		require.Equal(t, time.Date(2026, 3, 13, 0, 0, 0, 0, time.UTC), s.Period.Start, "the anniversary period")
		// The row the store keeps is still the calendar period's, which memory
		// does not take for the anniversary period's.
		declines(t, m, "acme", MetricAPICalls, 1)
	})
	t.Run("AnAssignmentNotInTheCache", func(t *testing.T) {
		m, clock := setUp(t)
		// The entry answered from memory; what the full path attaches instead must
		// be the cached assignment, not one read before a change.
		m.view.Detach("acme", MetricAPICalls)
		r, fresh := m.cachedAssignment("acme", *clock.Load())
		require.True(t, fresh)
		old := &resolved{Subject: r.Subject, terms: r.terms, expires: r.expires}
		m.attachAssignment("acme", MetricAPICalls, old, r.periodAt(*clock.Load()))
		declines(t, m, "acme", MetricAPICalls, 1)
		m.attachAssignment("acme", MetricAPICalls, r, r.periodAt(*clock.Load()))
		var s QuotaStatus
		require.True(t, m.checkFromMemory(&s, "acme", MetricAPICalls, 1))
		// A change this Meter makes detaches what a full path attached just
		// before it.
		m.assignmentChanged("acme")
		declines(t, m, "acme", MetricAPICalls, 1)
	})
	t.Run("ANewPeriod", func(t *testing.T) {
		m, clock := setUp(t)
		april := time.Date(2026, 4, 1, 0, 0, 1, 0, time.UTC)
		clock.Store(&april)
		declines(t, m, "acme", MetricAPICalls, 1)
		s, err := m.CheckQuota(ctx, "acme", MetricAPICalls, 1)
		require.NoError(t, err)
		require.Equal(t, "0", s.Used.String(), "April has no usage yet")
		require.Equal(t, april.Add(-time.Second), s.Period.Start)
	})
	t.Run("APeriodEndingWhileItsAssignmentIsFresh", func(t *testing.T) {
		m, clock := memoryMeter(t, false)
		last := time.Date(2026, 3, 31, 23, 59, 59, 800_000_000, time.UTC)
		clock.Store(&last)
		checkedOnce(t, m)
		// Within the view's and the assignment's time to live.
		april := last.Add(400 * time.Millisecond)
		clock.Store(&april)
		declines(t, m, "acme", MetricAPICalls, 1)
		s, err := m.CheckQuota(ctx, "acme", MetricAPICalls, 1)
		require.NoError(t, err)
		require.Equal(t, "0", s.Used.String(), "April has no usage yet")
	})
	t.Run("StrictQuotaCheck", func(t *testing.T) {
		m, _ := memoryMeter(t, true)
		_, err := m.Track(ctx, Event{Subject: "acme", Metric: MetricAPICalls, Value: 7})
		require.NoError(t, err)
		_, err = m.CheckQuota(ctx, "acme", MetricAPICalls, 1)
		require.NoError(t, err)
		declines(t, m, "acme", MetricAPICalls, 1)
	})
	t.Run("AClosedMeter", func(t *testing.T) {
		m, _ := setUp(t)
		require.NoError(t, m.Close(ctx))
		declines(t, m, "acme", MetricAPICalls, 1)
		_, err := m.CheckQuota(ctx, "acme", MetricAPICalls, 1)
		require.True(t, errors.Is(err, ErrClosed), "%v", err)
	})
}

// TestCheckQuotaFromMemoryFollowsItsAssignmentsLife: an answer from memory past
// the assignment's refresh time starts its background lookup, and past its expiry
// memory declines, while the quota row's entry is still fresh.
func TestCheckQuotaFromMemoryFollowsItsAssignmentsLife(t *testing.T) {
	t.Parallel()
	const ttl = 10 * time.Second
	clock := new(atomic.Pointer[time.Time])
	t0 := time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)
	clock.Store(&t0)
	resolver := &gatedResolver{gate: closedGate()}
	st, _ := testdb.SQLite().OpenNew(t)
	m := newTestMeterOn(t, st, &Config{Metrics: ExampleMetrics(), Plans: ExamplePlans(), PlanResolver: resolver,
		AssignmentTTL: ttl, QuotaViewTTL: time.Hour, Test: TestConfig{Time: func() time.Time { return *clock.Load() }}})
	checkedOnce(t, m)
	require.Equal(t, int64(1), resolver.calls.Load())

	due := t0.Add(ttl * 15 / 16)
	clock.Store(&due)
	var s QuotaStatus
	require.True(t, m.checkFromMemory(&s, "acme", MetricAPICalls, 1), "answered while the assignment is fresh")
	m.refresher.running.Wait()
	require.Equal(t, int64(2), resolver.calls.Load(), "and its refresh started")

	expired := t0.Add(ttl + time.Second)
	clock.Store(&expired)
	require.False(t, m.checkFromMemory(&s, "acme", MetricAPICalls, 1), "not past the assignment's expiry")
}
