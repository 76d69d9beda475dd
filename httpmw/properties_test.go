package httpmw_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpmw"
	"github.com/usagekit/usage/internal/testdb"
)

// propertyHandler answers the status its query names (200 by default) and adds the
// property its plan parameter names, if any.
var propertyHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if plan := r.URL.Query().Get("plan"); plan != "" {
		httpmw.SetProperty(r.Context(), "plan", plan)
	}
	code := http.StatusOK
	if s := r.URL.Query().Get("status"); s != "" {
		code, _ = strconv.Atoi(s)
	}
	w.WriteHeader(code)
})

// The workers fill the properties maps of stored batches again for later ones:
// every stored event has its own request's properties and no other's.
func TestEachStoredEventCarriesOnlyItsOwnRequestsProperties(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		m := newMeter(t, db)
		mw := newMiddleware(t, m, httpmw.WithQueue(16, 1), httpmw.WithBatchWait(0))
		h := serveMux(mw, propertyHandler)
		queries := []string{"?plan=gold", "?status=201", "?plan=silver&status=202", "", "?plan=gold"}
		for i, q := range queries {
			require.Equal(t, http.StatusOK/100, do(h, "GET", "/search"+q, "acme", "Idempotency-Key", fmt.Sprintf("req-%d", i)).StatusCode/100)
			// Each request's event is stored before the next is served, so each
			// batch after the first fills the maps the one before it used.
			require.Eventually(t, func() bool { return mw.Stats().Charged == int64(i+1) }, 5*time.Second, time.Millisecond)
		}
		flush(t, mw)
		page, err := m.Events(context.Background(), usage.EventQuery{Subject: "acme", Metric: calls})
		require.NoError(t, err)
		require.Len(t, page.Events, len(queries))
		want := []map[string]string{
			{"plan": "gold", "status": "200"},
			{"status": "201"},
			{"plan": "silver", "status": "202"},
			{"status": "200"},
			{"plan": "gold", "status": "200"},
		}
		for i, ev := range page.Events {
			require.Equal(t, fmt.Sprintf("req-%d", i), ev.ID)
			p := maps.Clone(ev.Properties)
			for _, k := range []string{"route", "method", "latency_ms", "bytes"} {
				require.Contains(t, p, k, "event %d", i)
				delete(p, k)
			}
			require.Equal(t, want[i], p, "event %d", i)
		}
	})
}

// keepingMeter gives up on its first batch as a Meter whose commit is unknown
// does, and keeps that batch's events, as one still on its way to the database.
type keepingMeter struct {
	*usage.Meter
	mu       sync.Mutex
	kept     []usage.Event
	snapshot []map[string]string
}

func (k *keepingMeter) TrackBatch(ctx context.Context, events []usage.Event) ([]usage.BatchResult, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.kept == nil {
		k.kept = slices.Clone(events)
		for _, ev := range events {
			k.snapshot = append(k.snapshot, maps.Clone(ev.Properties))
		}
		return nil, fmt.Errorf("gave up waiting for the commit: %w", usage.ErrUnavailable)
	}
	return k.Meter.TrackBatch(ctx, events)
}

// The maps of a batch the Meter may still be storing are left to it.
func TestPropertiesOfABatchWhoseCommitIsUnknownAreNotFilledAgain(t *testing.T) {
	t.Parallel()
	m := &keepingMeter{Meter: newMeter(t, testdb.SQLite())}
	mw := newMiddleware(t, m, httpmw.WithQueue(16, 1), httpmw.WithBatchWait(0))
	h := serveMux(mw, propertyHandler)
	for i, q := range []string{"?plan=gold", "?status=201", "", "?plan=silver"} {
		do(h, "GET", "/search"+q, "acme")
		require.Eventually(t, func() bool { return mw.Stats().Failed+mw.Stats().Charged == int64(i+1) }, 5*time.Second, time.Millisecond)
	}
	flush(t, mw)
	require.Equal(t, int64(1), mw.Stats().Failed)
	require.Equal(t, 3.0, used(t, m.Meter, "acme", calls))
	m.mu.Lock()
	defer m.mu.Unlock()
	require.Len(t, m.kept, 1)
	require.Equal(t, m.snapshot[0], m.kept[0].Properties, "a later batch wrote into the properties of one still in flight")
}

// latency_ms runs from the quota check to the handler's return: on the Meter's
// clock when it is the real one, and on the middleware's own when the Meter runs on
// a test clock, whose times say nothing of how long a request took.
func TestLatencyCoversTheHandlerOnTheRealClockAndOnATestClock(t *testing.T) {
	t.Parallel()
	const slept = 20 * time.Millisecond
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { time.Sleep(slept) })
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		t.Parallel()
		for _, clock := range []string{"real", "test"} {
			t.Run(clock, func(t *testing.T) {
				cfg := testConfig()
				if clock == "test" {
					fixed := time.Now().Add(-time.Hour).Round(0)
					cfg.Test.Time = func() time.Time { return fixed }
				}
				st, _ := db.OpenNew(t)
				m, err := usage.New(st, cfg)
				require.NoError(t, err)
				t.Cleanup(func() { m.Close(context.Background()) })
				mw := newMiddleware(t, m)
				require.Equal(t, http.StatusOK, do(serveMux(mw, slow), "GET", "/search", "acme").StatusCode)
				flush(t, mw)
				page, err := m.Events(context.Background(), usage.EventQuery{Subject: "acme", Metric: calls})
				require.NoError(t, err)
				require.Len(t, page.Events, 1)
				ms, err := strconv.ParseFloat(page.Events[0].Properties["latency_ms"], 64)
				require.NoError(t, err)
				require.GreaterOrEqual(t, ms, float64(slept.Milliseconds()), "the handler's sleep")
				require.Less(t, ms, float64(time.Minute.Milliseconds()), "the request took well under a minute")
			})
		}
	})
}
