package usage

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// gatedResolver counts its calls and answers only once its gate is open.
type gatedResolver struct {
	calls atomic.Int64
	gate  chan struct{}
}

func (r *gatedResolver) Resolve(ctx context.Context, subject string) (Assignment, error) {
	r.calls.Add(1)
	select {
	case <-r.gate:
		return Assignment{Plan: "basic"}, nil
	case <-ctx.Done():
		return Assignment{}, ctx.Err()
	}
}

// TestConcurrentMissesShareOneLookup starts many calls for a subject that is not
// cached yet: they wait for one lookup instead of each asking the resolver.
func TestConcurrentMissesShareOneLookup(t *testing.T) {
	r := &gatedResolver{gate: make(chan struct{})}
	m := newTestMeter(t, &Config{Metrics: ExampleMetrics(), Plans: ExamplePlans(), PlanResolver: r})
	now := time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)

	const callers = 50
	var started, wg sync.WaitGroup
	started.Add(callers)
	plans := make([]string, callers)
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() {
			started.Done()
			res, err := m.resolve(context.Background(), "test", "acme", now)
			if err == nil {
				plans[i] = res.Plan
			}
			errs[i] = err
		})
	}
	started.Wait()
	// Give the callers time to join the lookup in flight; any that come later
	// find the cache filled, so only a very slow start adds a call.
	time.Sleep(50 * time.Millisecond)
	close(r.gate)
	wg.Wait()

	for i := range callers {
		require.NoError(t, errs[i])
		require.Equal(t, "basic", plans[i])
	}
	require.Less(t, r.calls.Load(), int64(10), "each caller asked the resolver itself")
}

// TestLookupOutlivesTheCallerThatStartedIt: a caller whose context ends does not
// fail the others sharing its lookup.
func TestLookupOutlivesTheCallerThatStartedIt(t *testing.T) {
	r := &gatedResolver{gate: make(chan struct{})}
	m := newTestMeter(t, &Config{Metrics: ExampleMetrics(), Plans: ExamplePlans(), PlanResolver: r})
	now := time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)

	first, cancel := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() {
		_, err := m.resolve(first, "test", "acme", now)
		firstErr <- err
	}()
	for r.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	second := make(chan error, 1)
	go func() {
		_, err := m.resolve(context.Background(), "test", "acme", now)
		second <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	require.ErrorIs(t, <-firstErr, context.Canceled)
	close(r.gate)
	require.NoError(t, <-second, "the second caller's context was alive: it must get an answer")
}
