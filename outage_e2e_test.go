package usage_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
	"github.com/usagekit/usage/store/storetest"
)

// Shape of the outage test: goroutines tracking events while the database is cut.
const (
	outageWorkers  = 32
	outageSubjects = 4
	outageLength   = 2 * time.Second
	// outageMaxInFlight is small so that slots leaked by abandoned calls would show:
	// patient callers would wait for room forever.
	outageMaxInFlight = 64
	// outageProgress is how many acknowledgements the test waits for before the cut
	// and again after the restore.
	outageProgress = 200
	// outageSafety bounds every wait of the test; reaching it is a failure.
	outageSafety = 2 * time.Minute
	// Bounds on what the outage may cost, far above what a healthy Meter needs: the
	// point is that waiting callers do not pile up goroutines or memory.
	outageExtraGoroutines = 100
	outageExtraHeap       = 64 << 20
)

// Callers of the outage test: patient ones wait as long as it takes, the others give
// up after their timeout. The impatient ones abandon many calls during the outage.
var outageTimeouts = []time.Duration{0, 0, time.Second, 50 * time.Millisecond}

// outageWorker is what one tracking goroutine saw.
type outageWorker struct {
	timeout   time.Duration
	attempted []storetest.EventKey
	acked     []storetest.EventKey
	gaveUp    int
	// failure is the error that stopped the worker: any error of a patient caller,
	// or one of an impatient caller whose context had not ended.
	failure error
}

// unavailableCounter counts the commits the store failed with store.ErrUnavailable,
// to show whether the Meter met (and retried) them or the store waited the outage
// out by itself.
type unavailableCounter struct {
	store.Store
	n atomic.Int64
}

func (s *unavailableCounter) Ingest(ctx context.Context, params *store.IngestParams) (*store.IngestResult, error) {
	res, err := s.Store.Ingest(ctx, params)
	if errors.Is(err, store.ErrUnavailable) {
		s.n.Add(1)
	}
	return res, err
}

// TestDatabaseOutageUnderLoadLosesNothingAndStaysBounded cuts the database while
// many callers track events, some waiting as long as it takes and some giving up.
// It runs alone: its leak check must see only its own goroutines.
func TestDatabaseOutageUnderLoadLosesNothingAndStaysBounded(t *testing.T) {
	testdb.Each(t, testOutage)
}

func testOutage(t *testing.T, db testdb.Backend) {
	ctx := context.Background()
	loc := db.NewDatabase(t)
	storeLoc, cut, restore := db.Outage(t, loc)
	leaks := goleak.IgnoreCurrent()
	st, err := db.Open(ctx, storeLoc)
	require.NoError(t, err)
	storeOpen := true
	defer func() {
		if storeOpen {
			st.Close()
		}
	}()
	cfg := e2eConfig(time.Now)
	cfg.MaxInFlight = outageMaxInFlight
	cfg.Logger = slog.New(slog.DiscardHandler) // retry warnings by the hundred
	cfg.AssignmentTTL = time.Hour              // the outage is of ingestion, not of plan lookups
	counted := &unavailableCounter{Store: st}
	m, err := usage.New(counted, cfg)
	require.NoError(t, err)
	at := time.Now().Add(-time.Minute) // one period for every event
	subjects := make([]string, outageSubjects)
	for i := range subjects {
		subjects[i] = fmt.Sprint("outage-", i)
		_, err := m.Track(ctx, usage.Event{ID: "warm", Subject: subjects[i], Metric: usage.MetricAPICalls, Value: 1, Time: at})
		require.NoError(t, err)
	}

	baseGoroutines := runtime.NumGoroutine()
	baseHeap := heapAlloc()
	run, stopRun := context.WithTimeout(ctx, outageSafety)
	defer stopRun()
	var stop atomic.Bool
	var acks atomic.Int64
	workers := make([]*outageWorker, outageWorkers)
	var wg sync.WaitGroup
	for w := range workers {
		ow := &outageWorker{timeout: outageTimeouts[w%len(outageTimeouts)]}
		workers[w] = ow
		wg.Go(func() {
			for i := 0; !stop.Load() && run.Err() == nil; i++ {
				ev := usage.Event{ID: fmt.Sprintf("w%d-%d", w, i), Subject: subjects[w%len(subjects)],
					Metric: usage.MetricAPICalls, Value: float64(1 + i%3), Time: at}
				callCtx, cancel := run, context.CancelFunc(func() {})
				if ow.timeout > 0 {
					callCtx, cancel = context.WithTimeout(run, ow.timeout)
				}
				k := storetest.EventKey{Subject: ev.Subject, ID: ev.ID}
				ow.attempted = append(ow.attempted, k)
				_, err := m.Track(callCtx, ev)
				expired := callCtx.Err() != nil && run.Err() == nil
				cancel()
				switch {
				case err == nil:
					ow.acked = append(ow.acked, k)
					acks.Add(1)
				case ow.timeout > 0 && expired && errors.Is(err, context.DeadlineExceeded):
					ow.gaveUp++
				default:
					// Stop at once: a Meter that fails fast would otherwise be
					// called in a tight loop until the safety bound.
					ow.failure = fmt.Errorf("caller with timeout %v, event %s: %w", ow.timeout, ev.ID, err)
					stop.Store(true)
					return
				}
			}
		})
	}
	// failures reports the workers that stopped on an error they should not get:
	// patient callers wait the outage out, the others give up only when their
	// context ends, and say so.
	failures := func() error {
		var errs []error
		for _, ow := range workers {
			errs = append(errs, ow.failure)
		}
		return errors.Join(errs...)
	}
	waitAcks := func(n int64, what string) {
		t.Helper()
		for acks.Load() < n {
			if stop.Load() || run.Err() != nil {
				stop.Store(true)
				wg.Wait()
				require.NoError(t, failures())
				t.Fatalf("%s: only %d of %d acknowledgements", what, acks.Load(), n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitAcks(outageProgress, "before the outage")

	cut()
	restore = restoreOnce(t, restore)
	acksAtCut := acks.Load()
	maxGoroutines, maxHeap := 0, uint64(0)
	for end := time.Now().Add(outageLength); time.Now().Before(end) && !stop.Load(); time.Sleep(200 * time.Millisecond) {
		maxGoroutines = max(maxGoroutines, runtime.NumGoroutine())
		maxHeap = max(maxHeap, heapAlloc())
	}
	acksDuring := acks.Load() - acksAtCut
	restore()
	waitAcks(acks.Load()+outageProgress, "after the outage")
	stop.Store(true)
	wg.Wait()
	require.NoError(t, failures())
	require.NoError(t, run.Err(), "the test ended within its safety bound")
	// Each worker has one call at a time, and only a call whose commit was under way
	// when the cut came can be acknowledged before the restore.
	require.LessOrEqual(t, acksDuring, int64(outageWorkers), "the cut stopped ingestion")

	attempted, acked := map[storetest.EventKey]bool{}, map[storetest.EventKey]bool{}
	gaveUp := 0
	for _, ow := range workers {
		for _, k := range ow.attempted {
			attempted[k] = true
		}
		for _, k := range ow.acked {
			acked[k] = true
		}
		gaveUp += ow.gaveUp
	}
	require.NotZero(t, gaveUp, "the outage made callers with short timeouts give up")
	t.Logf("%d attempted, %d acknowledged (%d during the outage), %d gave up; the store failed %d commits as unavailable; "+
		"goroutines %d before, at most %d during; heap %d MiB before, at most %d MiB during",
		len(attempted), len(acked), acksDuring, gaveUp, counted.n.Load(), baseGoroutines, maxGoroutines, baseHeap>>20, maxHeap>>20)

	// Nothing acknowledged is missing, nothing unattempted appeared, and the quotas
	// agree with the events.
	stored := storetest.StoredEvents(t, st, subjects...)
	for k := range stored {
		require.True(t, k.ID == "warm" || attempted[k], "stored event %s was attempted", k.ID)
	}
	storetest.RequireStored(t, acked, stored)
	storetest.RequireUsageIsStoredEvents(t, st, usage.MetricAPICalls, at, stored, subjects...)

	require.LessOrEqual(t, maxGoroutines, baseGoroutines+outageWorkers+outageExtraGoroutines, "goroutines stay bounded during the outage")
	require.LessOrEqual(t, maxHeap, baseHeap+outageExtraHeap, "memory stays bounded during the outage")

	closeCtx, cancel := context.WithTimeout(ctx, outageSafety)
	defer cancel()
	require.NoError(t, m.Close(closeCtx))
	_, err = m.Track(ctx, usage.Event{Subject: subjects[0], Metric: usage.MetricAPICalls, Value: 1})
	require.ErrorIs(t, err, usage.ErrClosed)
	require.NoError(t, st.Close())
	storeOpen = false
	goleak.VerifyNone(t, leaks)
}

// restoreOnce makes an outage's restore safe to call more than once, and calls it
// when the test ends if the test did not get that far. Called after a Meter is
// opened, it runs before the Meter's Close, which would wait for the database.
func restoreOnce(t testing.TB, restore func()) func() {
	var once sync.Once
	r := func() { once.Do(restore) }
	t.Cleanup(r)
	return r
}

// heapAlloc returns the live heap after a collection.
func heapAlloc() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
