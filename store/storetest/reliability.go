package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// exerciseReliability runs the tests of the ingestion engine under failure: a full
// in-flight bound and Close while the database is down. They run in parallel.
func exerciseReliability(t *testing.T, h Harness) {
	t.Run("OverloadedCallsWaitThenFail", func(t *testing.T) { testOverloaded(t, h) })
	t.Run("CloseGivesUpWhenItsContextEnds", func(t *testing.T) { testCloseDeadline(t, h) })
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
