package storetest

import (
	"context"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// exerciseReliability runs the tests of the ingestion engine under failure: processes
// killed mid-ingest, a database outage under load, a full in-flight bound and Close.
// The crash drill and the outage test run alone: the drill is heavy, and the outage
// test's leak check must see only its own goroutines. The rest run in parallel after
// them.
func exerciseReliability(t *testing.T, h Harness) {
	t.Run("CrashDrill", func(t *testing.T) { testCrashDrill(t, h) })
	t.Run("OutageUnderLoad", func(t *testing.T) { testOutage(t, h) })
	t.Run("OverloadedCallsWaitThenFail", func(t *testing.T) { testOverloaded(t, h) })
	t.Run("CloseGivesUpWhenItsContextEnds", func(t *testing.T) { testCloseDeadline(t, h) })
}

// restoreOnce makes a harness's restore safe to call more than once, and calls it
// when the test ends if the test did not get that far. Called after a Meter is
// opened, it runs before the Meter's Close, which would wait for the database.
func restoreOnce(t testing.TB, restore func()) func() {
	var once sync.Once
	r := func() { once.Do(restore) }
	t.Cleanup(r)
	return r
}

// requireOutage fails t when the harness cannot cut the database: outage behaviour is
// part of the contract, so a backend must declare how to cause one.
func requireOutage(t *testing.T, h Harness) {
	t.Helper()
	if h.Outage == nil {
		t.Fatal("Harness.Outage is nil: the backend must say how to make its database unavailable (see Harness.Outage)")
	}
}

// eventKey identifies a stored event: IDs are unique per subject.
type eventKey struct{ subject, id string }

// listAll returns every stored event of the subjects, paging through ListEvents, and
// fails t if an event is stored twice.
func listAll(t *testing.T, st store.Store, subjects ...string) map[eventKey]store.Event {
	t.Helper()
	const page = 500
	out := map[eventKey]store.Event{}
	for _, s := range subjects {
		var after int64
		for {
			res, err := st.ListEvents(context.Background(), &store.ListEventsParams{Subject: s, AfterSeq: after, Limit: page})
			require.NoError(t, err)
			for _, e := range res.Events {
				k := eventKey{e.Subject, e.ID}
				_, dup := out[k]
				require.False(t, dup, "event %s of %s is stored twice", e.ID, e.Subject)
				require.Greater(t, e.Seq, after, "ListEvents returns events in storage order")
				out[k] = e
				after = e.Seq
			}
			if len(res.Events) < page {
				break
			}
		}
	}
	return out
}

// requireStored fails t unless every acknowledged event is stored, naming a few of
// those that are not.
func requireStored(t *testing.T, acked map[eventKey]bool, stored map[eventKey]store.Event) {
	t.Helper()
	var lost []eventKey
	for k := range acked {
		if _, ok := stored[k]; !ok {
			lost = append(lost, k)
		}
	}
	require.Empty(t, lost[:min(len(lost), 10)], "%d of %d acknowledged events are not stored (at most 10 shown)", len(lost), len(acked))
}

// lines writes whole lines to a child's stdout, one write per line, so that a line
// the parent reads was written completely before the child was killed.
type lines struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lines) printf(format string, args ...any) error {
	b := fmt.Appendf(nil, format+"\n", args...)
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := l.w.Write(b)
	return err
}
