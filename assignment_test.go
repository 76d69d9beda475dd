package usage

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
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
	synctest.Test(t, concurrentMissesShareOneLookup)
}

func concurrentMissesShareOneLookup(t *testing.T) {
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
	// Every caller has joined the lookup in flight, or started its own.
	synctest.Wait()
	close(r.gate)
	wg.Wait()

	for i := range callers {
		require.NoError(t, errs[i])
		require.Equal(t, "basic", plans[i])
	}
	require.EqualValues(t, 1, r.calls.Load(), "the callers shared one lookup")
}

// TestLookupOutlivesTheCallerThatStartedIt: a caller whose context ends does not
// fail the others sharing its lookup.
func TestLookupOutlivesTheCallerThatStartedIt(t *testing.T) {
	synctest.Test(t, lookupOutlivesTheCallerThatStartedIt)
}

func lookupOutlivesTheCallerThatStartedIt(t *testing.T) {
	r := &gatedResolver{gate: make(chan struct{})}
	m := newTestMeter(t, &Config{Metrics: ExampleMetrics(), Plans: ExamplePlans(), PlanResolver: r})
	now := time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)

	first, cancel := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() {
		_, err := m.resolve(first, "test", "acme", now)
		firstErr <- err
	}()
	synctest.Wait() // the first caller's lookup waits at the gate
	second := make(chan error, 1)
	go func() {
		_, err := m.resolve(context.Background(), "test", "acme", now)
		second <- err
	}()
	synctest.Wait() // the second caller waits for the same lookup
	require.EqualValues(t, 1, r.calls.Load(), "the second caller joined the lookup in flight")
	cancel()
	require.ErrorIs(t, <-firstErr, context.Canceled)
	close(r.gate)
	require.NoError(t, <-second, "the second caller's context was alive: it must get an answer")
}
