package httpmw_test

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpmw"
	"github.com/usagekit/usage/internal/testdb"
)

// A TimeoutHandler around the middleware answers 503 when the handler is too slow;
// what the handler wrote before, its late write, or its return without writing,
// must not be charged as the 200 the client never got.
func TestATimeoutHandlerAroundTheMiddlewareIsNotCharged(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		m := newMeter(t, db)
		mw := newMiddleware(t, m)
		// Each handler notices the deadline late, as one busy with its work does:
		// one that returns at the deadline itself may find TimeoutHandler not yet
		// answering (see responseWriter.finish).
		var ran atomic.Int32
		pastDeadline := func(r *http.Request) {
			ran.Add(1)
			<-r.Context().Done()
			time.Sleep(200 * time.Millisecond)
		}
		lateWrite := func(w http.ResponseWriter, r *http.Request) {
			pastDeadline(r)
			_, _ = w.Write([]byte("late"))
		}
		noWrite := func(w http.ResponseWriter, r *http.Request) { pastDeadline(r) }
		earlyWrite := func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("early"))
			pastDeadline(r)
		}
		var settled sync.WaitGroup
		statuses := make(chan int, 9)
		for pattern := range routes() {
			for _, h := range []http.HandlerFunc{lateWrite, noWrite, earlyWrite} {
				// The metered handler goes on after TimeoutHandler answered: the test
				// waits for the middleware to return, which settles the charge.
				inner := mw.Handler(h)
				mux := http.NewServeMux()
				mux.Handle(pattern, http.TimeoutHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					defer settled.Done()
					inner.ServeHTTP(w, r)
				}), time.Second, "too slow"))
				settled.Add(1)
				go func() { statuses <- do(mux, methodOf(pattern), pathOf(pattern), "acme").StatusCode }()
			}
		}
		for range 9 {
			require.Equal(t, http.StatusServiceUnavailable, <-statuses)
		}
		settled.Wait()
		require.Equal(t, int32(9), ran.Load(), "every handler ran: the deadline passed while it worked")
		flush(t, mw)
		for _, metric := range []string{docs, calls, pages} {
			require.Zero(t, used(t, m, "acme", metric), metric)
		}
		require.Equal(t, int64(9), mw.Stats().NotCharged)
	})
}

func methodOf(pattern string) string { return strings.Fields(pattern)[0] }

func pathOf(pattern string) string {
	return strings.Replace(strings.Fields(pattern)[1], "{id}", "7", 1)
}

// lateMeter stores the events of its first delayed Track calls whatever happens,
// as a Meter whose caller stopped waiting may still commit, but reports the end of
// the caller's context if it came first.
type lateMeter struct {
	*usage.Meter
	// delayed is how many calls, from the first, wait for release or the end of
	// their context before storing.
	delayed atomic.Int32
	// started receives a value when a delayed call begins to wait.
	started chan struct{}
	release chan struct{}
}

func newLateMeter(m *usage.Meter, delayed int32) *lateMeter {
	late := &lateMeter{Meter: m, started: make(chan struct{}, delayed), release: make(chan struct{})}
	late.delayed.Store(delayed)
	return late
}

func (m *lateMeter) Track(ctx context.Context, ev usage.Event) (usage.TrackResult, error) {
	if m.delayed.Add(-1) >= 0 {
		select {
		case m.started <- struct{}{}:
		default: // no one is watching
		}
		select {
		case <-m.release:
		case <-ctx.Done():
		}
	}
	res, err := m.Meter.Track(context.WithoutCancel(ctx), ev)
	if err == nil && ctx.Err() != nil {
		return usage.TrackResult{}, ctx.Err()
	}
	return res, err
}

// A client that leaves while its request's charge is being stored does not end
// the charge: its outcome is known, the charge is voided, and the handler, whose
// work would reach nobody, does not run.
func TestAClientLeavingDuringTheChargeLeavesNoCharge(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		m := newMeter(t, db)
		late := newLateMeter(m, 1)
		mw := newMiddleware(t, late)
		ran := false
		h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran = true }))
		ctx, leave := context.WithCancel(context.Background())
		r, _ := http.NewRequestWithContext(ctx, "POST", "/documents", nil)
		r.Pattern = "POST /documents"
		r.Header.Set("X-Tenant", "acme")
		go func() {
			<-late.started
			leave()
			time.Sleep(20 * time.Millisecond)
			close(late.release)
		}()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		require.Equal(t, http.StatusServiceUnavailable, rec.Code)
		require.False(t, ran)
		require.Zero(t, used(t, m, "acme", docs))
		page, err := m.Events(context.Background(), usage.EventQuery{Subject: "acme"})
		require.NoError(t, err)
		require.Len(t, page.Events, 1, "the charge was stored, then voided")
		require.Equal(t, int64(1), mw.Stats().NotCharged)
	})
}

// A client that leaves while its handler works is charged: the work is done,
// whether the handler then answers or returns without a body. So is a request
// whose own deadline passed while its handler worked, when no TimeoutHandler
// answered in its place: the client got the handler's answer.
func TestARequestThatEndedWhileItsHandlerWorkedIsCharged(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		m := newMeter(t, db)
		mw := newMiddleware(t, m)
		started := make(chan struct{}, 1)
		handlers := []http.HandlerFunc{
			func(w http.ResponseWriter, r *http.Request) {
				started <- struct{}{}
				<-r.Context().Done()
				w.WriteHeader(http.StatusCreated)
			},
			func(w http.ResponseWriter, r *http.Request) {
				started <- struct{}{}
				<-r.Context().Done()
			},
		}
		for _, h := range handlers {
			mux := serveMux(mw, h)
			for _, target := range []string{"POST /documents", "GET /search"} {
				for _, deadline := range []bool{false, true} {
					ctx := &endingContext{Context: context.Background(), done: make(chan struct{}), deadline: deadline}
					go func() { <-started; close(ctx.done) }()
					r, _ := http.NewRequestWithContext(ctx, methodOf(target), pathOf(target), nil)
					r.Header.Set("X-Tenant", "acme")
					mux.ServeHTTP(httptest.NewRecorder(), r)
				}
			}
		}
		flush(t, mw)
		require.Equal(t, 4.0, used(t, m, "acme", docs))
		require.Equal(t, 4.0, used(t, m, "acme", calls))
		require.Zero(t, mw.Stats().NotCharged)
	})
}

// endingContext ends when done is closed, as a request's context does when its
// client leaves (context.Canceled) or its deadline passes.
type endingContext struct {
	context.Context
	done     chan struct{}
	deadline bool
}

func (c *endingContext) Done() <-chan struct{} { return c.done }

func (c *endingContext) Err() error {
	select {
	case <-c.done:
		if c.deadline {
			return context.DeadlineExceeded
		}
		return context.Canceled
	default:
		return nil
	}
}

// A charge not confirmed within the charge timeout is answered 503, and voided
// once the store has it.
func TestAChargeNotConfirmedInTimeIsVoided(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		m := newMeter(t, db)
		late := newLateMeter(m, 1)
		mw := newMiddleware(t, late, httpmw.WithChargeTimeout(500*time.Millisecond))
		ran := false
		mux := serveMux(mw, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran = true }))
		require.Equal(t, http.StatusServiceUnavailable, do(mux, "POST", "/documents", "acme").StatusCode)
		require.False(t, ran)
		require.Zero(t, used(t, m, "acme", docs))
		require.Zero(t, mw.Stats().Failed)

		// With the client's own ID the late charge is left for its retry, which it
		// pays for: one charge, one request served.
		late.delayed.Store(1)
		key := []string{"Idempotency-Key", "k1"}
		require.Equal(t, http.StatusServiceUnavailable, do(mux, "POST", "/documents", "acme", key...).StatusCode)
		require.False(t, ran)
		require.Equal(t, http.StatusOK, do(mux, "POST", "/documents", "acme", key...).StatusCode)
		require.True(t, ran)
		require.Equal(t, 1.0, used(t, m, "acme", docs))
	})
}

// net/http accepts a method of any length; the event records it cut, so the
// request is charged rather than refused as invalid.
func TestAHostileMethodIsRecordedCut(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		m := newMeter(t, db)
		mw := newMiddleware(t, m, httpmw.WithRoutes(map[string]string{"/any": calls, "/doc": docs}))
		mux := http.NewServeMux()
		mux.Handle("/any", mw.Handler(ok200))
		mux.Handle("/doc", mw.Handler(ok200))
		method := strings.Repeat("X", 5000)
		require.Equal(t, http.StatusOK, do(mux, method, "/any", "acme").StatusCode)
		require.Equal(t, http.StatusOK, do(mux, method, "/doc", "acme").StatusCode)
		flush(t, mw)
		require.Equal(t, 1.0, used(t, m, "acme", calls))
		require.Equal(t, 1.0, used(t, m, "acme", docs))
		require.Zero(t, mw.Stats().Invalid)
		page, err := m.Events(context.Background(), usage.EventQuery{Subject: "acme"})
		require.NoError(t, err)
		require.Len(t, page.Events, 2)
		for _, ev := range page.Events {
			require.Equal(t, method[:32], ev.Properties["method"])
		}
	})
}

// A property the handler set that the Meter refuses does not leave the request
// uncharged: the event is stored without the handler's properties.
func TestARefusedHandlerPropertyIsDroppedNotTheCharge(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		m := newMeter(t, db)
		mw := newMiddleware(t, m)
		set := make(chan bool, 2)
		mux := serveMux(mw, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			set <- httpmw.SetProperty(r.Context(), "format", "\xff")
		}))
		require.Equal(t, http.StatusOK, do(mux, "GET", "/search", "acme").StatusCode)
		require.True(t, <-set)
		require.Equal(t, http.StatusOK, do(mux, "POST", "/documents", "acme").StatusCode)
		require.False(t, <-set, "a charge before the handler has its properties stored already")
		flush(t, mw)
		require.Equal(t, 1.0, used(t, m, "acme", calls))
		s := mw.Stats()
		require.Equal(t, int64(2), s.Charged)
		require.Equal(t, int64(1), s.PropertiesDropped)
		require.Zero(t, s.Invalid)
		page, err := m.Events(context.Background(), usage.EventQuery{Subject: "acme", Metric: calls})
		require.NoError(t, err)
		require.Len(t, page.Events, 1)
		require.NotContains(t, page.Events[0].Properties, "format")
		require.Equal(t, "GET /search", page.Events[0].Properties["route"])
	})
}

// A cost no event can carry is refused where the handler sets it, and the
// request is charged the cost it had.
func TestACostNoEventCanCarryIsRefused(t *testing.T) {
	t.Parallel()
	m := newMeter(t, testdb.SQLite())
	mw := newMiddleware(t, m)
	refused := make(chan bool, 1)
	mux := serveMux(mw, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		refused <- !httpmw.SetCost(r.Context(), math.NaN()) && !httpmw.SetCost(r.Context(), -1) &&
			!httpmw.SetCost(r.Context(), math.Inf(1))
	}))
	require.Equal(t, http.StatusOK, do(mux, "GET", "/search", "acme").StatusCode)
	require.True(t, <-refused)
	flush(t, mw)
	require.Equal(t, 1.0, used(t, m, "acme", calls))
	require.Equal(t, int64(1), mw.Stats().Charged)
}
