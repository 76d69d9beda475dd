package usage

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// steppedResolver answers each call with the next plan sent on plans.
type steppedResolver struct {
	calls atomic.Int64
	plans chan string
}

func (r *steppedResolver) Resolve(ctx context.Context, subject string) (Assignment, error) {
	r.calls.Add(1)
	select {
	case p := <-r.plans:
		return Assignment{Plan: p}, nil
	case <-ctx.Done():
		return Assignment{}, ctx.Err()
	}
}

func TestAnAssignmentNearItsExpiryIsReadAgainInTheBackgroundWhileCallsUseTheCachedOne(t *testing.T) {
	t.Parallel()
	r := &steppedResolver{plans: make(chan string)}
	const ttl = 10 * time.Second
	m := newTestMeter(t, &Config{Metrics: ExampleMetrics(), Plans: ExamplePlans(), PlanResolver: r, AssignmentTTL: ttl})
	ctx := context.Background()
	t0 := time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)
	go func() { r.plans <- "basic" }()
	got, err := m.resolve(ctx, "test", "acme", t0)
	require.NoError(t, err)
	require.Equal(t, "basic", got.Plan)

	// Past seven eighths of the TTL a refresh is due: the call answers from the
	// cache at once, while the lookup waits for its answer.
	done := make(chan *resolved, 1)
	go func() {
		got, err := m.resolve(ctx, "test", "acme", t0.Add(ttl*15/16))
		if err != nil {
			t.Error(err)
		}
		done <- got
	}()
	select {
	case got = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the call waited for the lookup")
	}
	require.Equal(t, "basic", got.Plan)
	r.plans <- "professional" // taken by the background lookup
	m.refresher.running.Wait()

	got, err = m.resolve(ctx, "test", "acme", t0.Add(ttl*31/32))
	require.NoError(t, err)
	require.Equal(t, "professional", got.Plan, "the refreshed assignment")
	require.Equal(t, int64(2), r.calls.Load(), "one lookup on the request path, one in the background")
	got, err = m.resolve(ctx, "test", "acme", t0.Add(ttl+time.Second))
	require.NoError(t, err)
	require.Equal(t, "professional", got.Plan, "the refreshed entry is valid for a TTL from its refresh")
}

func TestAssignmentsReadTogetherAreRefreshedAtSpreadTimes(t *testing.T) {
	t.Parallel()
	const ttl = 10 * time.Second
	m := newTestMeter(t, &Config{Metrics: ExampleMetrics(), Plans: ExamplePlans(), DefaultPlan: "basic", AssignmentTTL: ttl,
		PlanResolver: &gatedResolver{gate: closedGate()}})
	t0 := time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)
	first, last := t0.Add(ttl), t0
	for i := range 1000 {
		r, err := m.resolve(context.Background(), "test", fmt.Sprint("tenant-", i), t0)
		require.NoError(t, err)
		require.False(t, r.refreshAt().Before(t0.Add(ttl*3/4)), "refreshed in the last quarter of the TTL")
		require.False(t, r.refreshAt().After(t0.Add(ttl*7/8)), "with an eighth of the TTL left to refresh")
		if r.refreshAt().Before(first) {
			first = r.refreshAt()
		}
		if r.refreshAt().After(last) {
			last = r.refreshAt()
		}
	}
	require.Greater(t, last.Sub(first), ttl/10, "refresh times are spread over the eighth of the TTL")
}

func closedGate() chan struct{} {
	g := make(chan struct{})
	close(g)
	return g
}
