package sqlstore

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// The window of events stored lately holds at least the last keys stored or found
// stored, in filters of fixed size: it forgets older keys, and answers yes for a
// key not held in about one case in a hundred.
func TestRecentEventsHoldTheLastKeysStored(t *testing.T) {
	const per = 1000
	r := newRecentEvents(per)
	events := func(from, to int) []store.IngestEvent {
		var out []store.IngestEvent
		for i := from; i < to; i++ {
			out = append(out, store.IngestEvent{Event: store.Event{Subject: fmt.Sprint("tenant-", i%7), ID: fmt.Sprint("e", i)}})
		}
		return out
	}
	stored := func(from, to int, status store.Status) {
		outcomes := make([]store.Outcome, to-from)
		for i := range outcomes {
			outcomes[i].Status = status
		}
		r.add(events(from, to), outcomes)
	}
	held := func(from, to int) int { return len(r.among(events(from, to))) }

	stored(0, 500, store.StatusInserted)
	require.Equal(t, 500, held(0, 500))
	stored(500, 600, store.StatusQuotaExceeded)
	require.Less(t, held(500, 600), 5, "a refused event is not stored")
	for from := 600; from < 60_000; from += 100 {
		stored(from, from+100, store.StatusInserted)
		if from+100-per >= 600 {
			require.Equal(t, per, held(from+100-per, from+100), "the last keys, after %d", from+100)
		}
	}
	require.Less(t, held(0, 50_000), 1000, "old keys forgotten but for the rare false yes")
	require.Less(t, held(200_000, 300_000), 2000, "keys never stored: a false yes in fewer than two in a hundred")
	stored(0, 10, store.StatusDuplicate)
	require.Equal(t, 10, held(0, 10), "a replay found is remembered again")
	require.Len(t, r.cur.Load().words, per/keysPerWord, "filters of fixed size")
}
