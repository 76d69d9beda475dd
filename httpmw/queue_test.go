package httpmw_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpmw"
	"github.com/usagekit/usage/internal/testdb"
)

// gatedMeter is a Meter whose TrackBatch waits for the gate, so a test can fill
// the queue.
type gatedMeter struct {
	*usage.Meter
	gate chan struct{}
}

func (g *gatedMeter) TrackBatch(ctx context.Context, events []usage.Event) ([]usage.BatchResult, error) {
	select {
	case <-g.gate:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return g.Meter.TrackBatch(ctx, events)
}

func TestAFullQueueIsCountedAndRefusesWithRefuse(t *testing.T) {
	t.Parallel()
	m := &gatedMeter{Meter: newMeter(t, testdb.SQLite()), gate: make(chan struct{})}
	mw := newMiddleware(t, m, httpmw.WithQueue(2, 1), httpmw.WithQueueFull(httpmw.Refuse))
	h := serveMux(mw, ok200)
	for range 2 {
		require.Equal(t, http.StatusOK, do(h, "GET", "/search", "acme").StatusCode)
	}
	res := do(h, "GET", "/search", "acme")
	require.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	require.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
	require.Equal(t, int64(1), mw.Stats().QueueFull)
	close(m.gate)
	flush(t, mw)
	require.Equal(t, 2.0, used(t, m.Meter, "acme", calls), "nothing served was dropped")
}

func TestAFullQueueMakesRequestsWaitWithBlock(t *testing.T) {
	t.Parallel()
	m := &gatedMeter{Meter: newMeter(t, testdb.SQLite()), gate: make(chan struct{})}
	mw := newMiddleware(t, m, httpmw.WithQueue(1, 1))
	h := serveMux(mw, ok200)
	require.Equal(t, http.StatusOK, do(h, "GET", "/search", "acme").StatusCode)
	done := make(chan int)
	go func() { done <- do(h, "GET", "/search", "acme").StatusCode }()
	require.Eventually(t, func() bool { return mw.Stats().QueueFull == 1 }, 5*time.Second, time.Millisecond)
	select {
	case <-done:
		t.Fatal("served while the queue was full")
	default:
	}
	close(m.gate)
	require.Equal(t, http.StatusOK, <-done)
	flush(t, mw)
	require.Equal(t, 2.0, used(t, m.Meter, "acme", calls))

	// A request that waits until its context ends is refused, not dropped.
	m2 := &gatedMeter{Meter: newMeter(t, testdb.SQLite()), gate: make(chan struct{})}
	mw2 := newMiddleware(t, m2, httpmw.WithQueue(1, 1))
	h2 := serveMux(mw2, ok200)
	do(h2, "GET", "/search", "acme")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	r, _ := http.NewRequestWithContext(ctx, "GET", "/search", nil)
	r.Header.Set("X-Tenant", "acme")
	w := &recorder{header: http.Header{}}
	h2.ServeHTTP(w, r)
	require.Equal(t, http.StatusServiceUnavailable, w.code)
	close(m2.gate)
	flush(t, mw2)
	require.Equal(t, 1.0, used(t, m2.Meter, "acme", calls))
}

// recorder is a minimal ResponseWriter for requests built with a context.
type recorder struct {
	header http.Header
	code   int
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}
func (r *recorder) Write(p []byte) (int, error) { r.WriteHeader(http.StatusOK); return len(p), nil }

func TestCloseStoresEveryServedRequestAndRefusesLaterOnes(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		t.Parallel()
		m := newMeter(t, db)
		mw := newMiddleware(t, m, httpmw.WithQueue(64, 2))
		h := serveMux(mw, ok200)
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				for range 50 {
					require.Equal(t, http.StatusOK, do(h, "GET", "/search", "acme").StatusCode)
				}
			})
		}
		wg.Wait()
		flush(t, mw)
		require.Equal(t, 800.0, used(t, m, "acme", calls))
		require.Equal(t, int64(800), mw.Stats().Charged)
		require.Equal(t, http.StatusServiceUnavailable, do(h, "GET", "/search", "acme").StatusCode)
	})
}

func TestCloseGivesUpWhenItsContextEnds(t *testing.T) {
	t.Parallel()
	m := &gatedMeter{Meter: newMeter(t, testdb.SQLite()), gate: make(chan struct{})}
	mw, err := httpmw.New(m, subjectFromHeader, httpmw.WithRoutes(routes()))
	require.NoError(t, err)
	do(serveMux(mw, ok200), "GET", "/search", "acme")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, mw.Close(ctx), context.DeadlineExceeded)
	require.Eventually(t, func() bool { return mw.Stats().Failed == 1 }, 5*time.Second, time.Millisecond)
}

func TestAnInvalidPropertyIsDroppedFromItsOwnEventOnly(t *testing.T) {
	t.Parallel()
	m := &gatedMeter{Meter: newMeter(t, testdb.SQLite()), gate: make(chan struct{})}
	mw := newMiddleware(t, m, httpmw.WithQueue(16, 1))
	h := serveMux(mw, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("bad") != "" {
			httpmw.SetProperty(r.Context(), "bad key!", "\xff")
		}
	}))
	for _, q := range []string{"", "?bad=1", ""} {
		do(h, "GET", "/search"+q, "acme")
	}
	close(m.gate) // the three go to the Meter in one batch
	flush(t, mw)
	require.Equal(t, 3.0, used(t, m.Meter, "acme", calls))
	s := mw.Stats()
	require.Equal(t, int64(3), s.Charged)
	require.Equal(t, int64(1), s.PropertiesDropped)
	require.Zero(t, s.Invalid)
}

func TestQueuedEventsAreStoredWithoutWaitingForClose(t *testing.T) {
	t.Parallel()
	m := newMeter(t, testdb.SQLite())
	mw := newMiddleware(t, m, httpmw.WithQueue(1024, 2))
	h := serveMux(mw, ok200)
	served := 0
	// Waves of concurrent requests: each wave's events reach the store while the
	// middleware runs, whether they find the queue empty or being drained.
	for wave := range 20 {
		var wg sync.WaitGroup
		for range 1 + wave%4 {
			wg.Go(func() {
				for range 1 + wave {
					require.Equal(t, http.StatusOK, do(h, "GET", "/search", "acme").StatusCode)
				}
			})
		}
		wg.Wait()
		served += (1 + wave%4) * (1 + wave)
		require.Eventually(t, func() bool { return mw.Stats().Charged == int64(served) }, 5*time.Second, time.Millisecond,
			"wave %d: %d of %d events stored", wave, mw.Stats().Charged, served)
	}
	flush(t, mw)
	require.Equal(t, float64(served), used(t, m, "acme", calls))
}

// batchMeter records the size of each batch handed to TrackBatch, then stores it,
// once gate is closed when it is not nil.
type batchMeter struct {
	*usage.Meter
	gate  chan struct{}
	mu    sync.Mutex
	sizes []int
}

func (b *batchMeter) TrackBatch(ctx context.Context, events []usage.Event) ([]usage.BatchResult, error) {
	b.mu.Lock()
	b.sizes = append(b.sizes, len(events))
	b.mu.Unlock()
	if b.gate != nil {
		<-b.gate
	}
	return b.Meter.TrackBatch(ctx, events)
}

func (b *batchMeter) batches() []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]int(nil), b.sizes...)
}

func TestWorkersHoldABatchOpenForTheBatchWaitAndCloseEndsIt(t *testing.T) {
	t.Parallel()
	m := &batchMeter{Meter: newMeter(t, testdb.SQLite())}
	mw := newMiddleware(t, m, httpmw.WithBatchWait(time.Hour))
	h := serveMux(mw, ok200)
	for range 3 {
		require.Equal(t, http.StatusOK, do(h, "GET", "/search", "acme").StatusCode)
	}
	require.Never(t, func() bool { return len(m.batches()) > 0 }, 100*time.Millisecond, time.Millisecond,
		"stored before the batch wait ended")
	flush(t, mw)
	require.Equal(t, []int{3}, m.batches(), "one batch, stored by Close without the wait")
	require.Equal(t, 3.0, used(t, m.Meter, "acme", calls))
}

func TestAFullBatchEndsTheBatchWait(t *testing.T) {
	t.Parallel()
	m := &batchMeter{Meter: newMeter(t, testdb.SQLite())}
	mw := newMiddleware(t, m, httpmw.WithBatchWait(time.Hour), httpmw.WithQueue(4*httpmw.DefaultMaxBatch, 1))
	h := serveMux(mw, ok200)
	for range httpmw.DefaultMaxBatch {
		require.Equal(t, http.StatusOK, do(h, "GET", "/search", "acme").StatusCode)
	}
	require.Eventually(t, func() bool { return mw.Stats().Charged == httpmw.DefaultMaxBatch }, 5*time.Second, time.Millisecond)
	require.Equal(t, []int{httpmw.DefaultMaxBatch}, m.batches())
}

func TestARequestWaitingForRoomEndsTheBatchWait(t *testing.T) {
	t.Parallel()
	m := &batchMeter{Meter: newMeter(t, testdb.SQLite())}
	mw := newMiddleware(t, m, httpmw.WithBatchWait(time.Hour), httpmw.WithQueue(2, 1))
	h := serveMux(mw, ok200)
	done := make(chan int, 3)
	go func() {
		for range 3 {
			done <- do(h, "GET", "/search", "acme").StatusCode
		}
	}()
	for range 3 {
		select {
		case code := <-done:
			require.Equal(t, http.StatusOK, code)
		case <-time.After(5 * time.Second):
			t.Fatal("a request waiting for room waited for the batch wait")
		}
	}
	flush(t, mw)
	require.Equal(t, 3.0, used(t, m.Meter, "acme", calls))
}

func TestAWorkerThatStoredABatchLeavesTheNextToTheBatchWait(t *testing.T) {
	t.Parallel()
	m := &batchMeter{Meter: newMeter(t, testdb.SQLite()), gate: make(chan struct{})}
	mw := newMiddleware(t, m, httpmw.WithBatchWait(time.Hour), httpmw.WithQueue(4*httpmw.DefaultMaxBatch, 1))
	h := serveMux(mw, ok200)
	// A full batch ends the wait; its storing waits for the gate.
	for range httpmw.DefaultMaxBatch {
		require.Equal(t, http.StatusOK, do(h, "GET", "/search", "acme").StatusCode)
	}
	require.Eventually(t, func() bool { return len(m.batches()) == 1 }, 5*time.Second, time.Millisecond)
	// Three more arrive while it is stored: once it is, they wait for the batch
	// wait, not for the worker's next loop.
	for range 3 {
		require.Equal(t, http.StatusOK, do(h, "GET", "/search", "acme").StatusCode)
	}
	close(m.gate)
	require.Eventually(t, func() bool { return mw.Stats().Charged == httpmw.DefaultMaxBatch }, 5*time.Second, time.Millisecond)
	require.Never(t, func() bool { return len(m.batches()) > 1 }, 100*time.Millisecond, time.Millisecond,
		"the worker stored less than a batch without waiting")
	flush(t, mw)
	require.Equal(t, []int{httpmw.DefaultMaxBatch, 3}, m.batches())
}
