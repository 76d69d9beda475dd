package usage_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store/storetest"
)

// Shape of the tests of the in-flight bound and of Close: a Meter with room for a
// few events, the database cut so that they stay in flight.
const (
	boundMaxInFlight = 4
	// probeTimeout is how long a call that finds no room waits for some.
	probeTimeout = 200 * time.Millisecond
	// probeLimit bounds the loops that probe the Meter's state.
	probeLimit = 100
	// boundSafety bounds every wait of these tests; reaching it is a failure.
	boundSafety = 2 * time.Minute
)

// boundedMeter is a Meter with boundMaxInFlight on a database that can be cut.
type boundedMeter struct {
	meter   *usage.Meter
	list    func() map[storetest.EventKey]bool
	cut     func()
	restore func()
}

func newBoundedMeter(t *testing.T, db testdb.Backend) *boundedMeter {
	t.Helper()
	loc := db.NewDatabase(t)
	storeLoc, cut, restore := db.Outage(t, loc)
	st := db.OpenAt(t, storeLoc)
	cfg := e2eConfig(time.Now)
	cfg.MaxInFlight = boundMaxInFlight
	cfg.Logger = slog.New(slog.DiscardHandler) // retry warnings by the hundred
	cfg.AssignmentTTL = time.Hour              // the cut is of ingestion, not of plan lookups
	m, err := usage.New(st, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { m.Close(context.Background()) })
	// Resolve the subject's plan while the database is up.
	_, err = m.Track(context.Background(), usage.Event{ID: "warm", Subject: "acme", Metric: usage.MetricAPICalls, Value: 1})
	require.NoError(t, err)
	b := &boundedMeter{meter: m, cut: cut, restore: restore}
	b.list = func() map[storetest.EventKey]bool {
		out := map[storetest.EventKey]bool{}
		for k := range storetest.StoredEvents(t, st, "acme") {
			out[k] = true
		}
		return out
	}
	return b
}

// track tracks one event of "acme" with a timeout.
func (b *boundedMeter) track(id string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_, err := b.meter.Track(ctx, usage.Event{ID: id, Subject: "acme", Metric: usage.MetricAPICalls, Value: 1})
	return err
}

// fill starts n calls that wait for the database as long as it takes.
func (b *boundedMeter) fill(n int) (ids []string, errs []error, wait func()) {
	ids, errs = make([]string, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		ids[i] = fmt.Sprint("filler-", i)
		wg.Go(func() { errs[i] = b.track(ids[i], boundSafety) })
	}
	return ids, errs, wg.Wait
}

// probe tracks events with short timeouts until one finds no room (ErrOverloaded),
// and then a few more. It returns the IDs of the calls refused for lack of room and
// of the others, which got a slot and gave up waiting for the database.
func (b *boundedMeter) probe(t *testing.T, prefix string, more int) (overloaded, gaveUp []string) {
	t.Helper()
	for i := 0; i < probeLimit && len(overloaded) <= more; i++ {
		id := fmt.Sprint(prefix, i)
		err := b.track(id, probeTimeout)
		require.Error(t, err, "call %s returned nil while the database was down", id)
		require.ErrorIs(t, err, context.DeadlineExceeded, "call %s ends with its context", id)
		if errors.Is(err, usage.ErrOverloaded) {
			overloaded = append(overloaded, id)
		} else {
			gaveUp = append(gaveUp, id)
		}
	}
	require.NotEmpty(t, overloaded, "with %d events in flight and the database down, further calls find no room", boundMaxInFlight)
	return overloaded, gaveUp
}

// TestOverloadedCallsWaitThenFail checks the in-flight bound and Close: calls beyond
// Config.MaxInFlight wait for room and fail with ErrOverloaded when their context
// ends, storing nothing; Close waits for the events in flight and commits them once
// the database is back; calls after Close get ErrClosed.
func TestOverloadedCallsWaitThenFail(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		testOverloaded(t, db)
	})
}

func testOverloaded(t *testing.T, db testdb.Backend) {
	b := newBoundedMeter(t, db)
	ctx := context.Background()

	big := make([]usage.Event, boundMaxInFlight+1)
	for i := range big {
		big[i] = usage.Event{ID: fmt.Sprint("big-", i), Subject: "acme", Metric: usage.MetricAPICalls, Value: 1}
	}
	_, err := b.meter.TrackBatch(ctx, big)
	require.ErrorIs(t, err, usage.ErrOverloaded, "a batch larger than MaxInFlight can never fit")
	ended, cancelEnded := context.WithCancel(ctx)
	cancelEnded()
	_, err = b.meter.Track(ended, usage.Event{ID: "ended", Subject: "acme", Metric: usage.MetricAPICalls, Value: 1})
	require.ErrorIs(t, err, context.Canceled)
	require.NotErrorIs(t, err, usage.ErrOverloaded, "with room to spare, a call whose context has ended is not told the Meter is overloaded")

	b.cut()
	restore := restoreOnce(t, b.restore)
	fillers, fillerErrs, waitFillers := b.fill(boundMaxInFlight)
	overloaded, gaveUp := b.probe(t, "probe-", 3)

	closeCtx, cancel := context.WithTimeout(ctx, boundSafety)
	defer cancel()
	closed := make(chan error, 1)
	go func() { closed <- b.meter.Close(closeCtx) }()
	// Once Close has begun, calls are refused at once; until then they find no room.
	var late []string
	sawClosed := false
	for i := 0; i < probeLimit && !sawClosed; i++ {
		id := fmt.Sprint("late-", i)
		late = append(late, id)
		err := b.track(id, probeTimeout)
		sawClosed = errors.Is(err, usage.ErrClosed)
		require.True(t, sawClosed || errors.Is(err, usage.ErrOverloaded), "call %s while closing: %v", id, err)
	}
	require.True(t, sawClosed, "calls are refused once Close has begun")
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while events were in flight and the database was down", err)
	default:
	}

	restore()
	require.NoError(t, <-closed, "Close commits the events in flight once the database is back")
	waitFillers()
	require.ErrorIs(t, b.track("after-close", boundSafety), usage.ErrClosed)

	stored := b.list()
	for i, id := range fillers {
		require.NoError(t, fillerErrs[i], "call %s waited for the database", id)
		require.True(t, stored[storetest.EventKey{Subject: "acme", ID: id}], "%s returned nil before Close returned, so it is stored", id)
	}
	for _, id := range append(append(overloaded, late...), "after-close") {
		require.False(t, stored[storetest.EventKey{Subject: "acme", ID: id}], "nothing of refused call %s is stored", id)
	}
	for i := range big {
		require.False(t, stored[storetest.EventKey{Subject: "acme", ID: big[i].ID}], "nothing of the refused batch is stored")
	}
	require.False(t, stored[storetest.EventKey{Subject: "acme", ID: "ended"}], "nothing of a call whose context had ended is stored")
	t.Logf("%d calls found no room, %d got room and gave up waiting (stored or not), %d refused while closing",
		len(overloaded), len(gaveUp), len(late))
}

// TestCloseGivesUpWhenItsContextEnds checks that Close returns when its context ends
// even though the events in flight cannot be committed: a host shutting down during
// an outage is not held past its deadline. The waiting calls are answered too.
func TestCloseGivesUpWhenItsContextEnds(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		testCloseDeadline(t, db)
	})
}

func testCloseDeadline(t *testing.T, db testdb.Backend) {
	b := newBoundedMeter(t, db)
	b.cut()
	restore := restoreOnce(t, b.restore)
	fillers, fillerErrs, waitFillers := b.fill(boundMaxInFlight)
	b.probe(t, "probe-", 0)

	closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	closed := make(chan error, 1)
	go func() { closed <- b.meter.Close(closeCtx) }()
	// Close's own deadline is a second; the database stays down until Close returns
	// or the safety bound, which only a hung Close reaches.
	select {
	case err := <-closed:
		require.ErrorIs(t, err, context.DeadlineExceeded, "Close reports that events were still in flight")
	case <-time.After(boundSafety):
		restore()
		<-closed
		t.Fatalf("Close with a 1 s deadline had not returned %v later, while the database was down", boundSafety)
	}
	restore()
	waitFillers()
	require.ErrorIs(t, b.track("after-close", boundSafety), usage.ErrClosed, "a Meter whose Close gave up is closed all the same")
	stored := b.list()
	require.False(t, stored[storetest.EventKey{Subject: "acme", ID: "after-close"}], "nothing of a call after Close is stored")
	for i, id := range fillers {
		if fillerErrs[i] == nil {
			require.True(t, stored[storetest.EventKey{Subject: "acme", ID: id}], "%s returned nil, so it is stored", id)
			continue
		}
		require.ErrorIs(t, fillerErrs[i], usage.ErrClosed, "a call in flight when Close gave up is told the Meter closed")
	}
}
