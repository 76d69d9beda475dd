package sqlstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// eventReads returns the reads of usage_events in l.
func eventReads(l *queryLog) []string {
	return l.matching(func(q string) bool {
		return strings.HasPrefix(q, "SELECT") && strings.Contains(q, `FROM "usage_events"`)
	})
}

// A batch that replays an event this store stored lately reads that event first
// and runs once: each of its new events is inserted once, and it reads no other
// key. A replay of an event another writer stored is found by the insert, and the
// batch runs again reading every key: the same outcomes.
func TestAReplayOfAnEventStoredLatelyIsReadFirst(t *testing.T) {
	st, other, queries := loggedSQLiteAndOther(t)
	inserted := insertedRows(t, st, "usage_events")
	ingest := func(ids ...int) []store.Status {
		t.Helper()
		var events []store.IngestEvent
		for _, id := range ids {
			events = append(events, countedEvent("acme", id))
		}
		res, err := st.Ingest(context.Background(), &store.IngestParams{Now: now, Events: events})
		require.NoError(t, err)
		var out []store.Status
		for _, o := range res.Outcomes {
			out = append(out, o.Status)
		}
		return out
	}
	ingest(1, 2, 3)
	require.Empty(t, eventReads(queries), "a batch of new events reads none")

	require.Equal(t, []store.Status{store.StatusInserted, store.StatusDuplicate, store.StatusInserted}, ingest(4, 2, 5))
	require.EqualValues(t, 5, inserted.Load(), "every new event inserted once: the batch ran once")
	reads := eventReads(queries)
	require.Len(t, reads, 1)
	require.Contains(t, reads[0], "'2'")
	require.NotContains(t, reads[0], "'4'", "only the replay is read")

	n := 5
	ingestCounted(t, other, &n, "acme")
	require.Equal(t, []store.Status{store.StatusInserted, store.StatusDuplicate, store.StatusInserted}, ingest(7, 6, 8))
	reads = eventReads(queries)
	require.Len(t, reads, 2, "the insert found event 6 stored; the next attempt read")
	for _, id := range []string{"'6'", "'7'", "'8'"} {
		require.Contains(t, reads[1], id, "every key")
	}
	requireUsed(t, st, map[string]int64{"acme": 8})
}
