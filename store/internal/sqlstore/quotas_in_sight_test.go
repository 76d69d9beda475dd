package sqlstore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/usagekit/usage/store"
)

// limitedEvent is event id of subject: 1 of metric m now, against a quota of 3
// without overage in the checks' period.
func limitedEvent(subject, id string) store.IngestEvent {
	return store.IngestEvent{
		Event: store.Event{Subject: subject, ID: id, Metric: "m", Value: 1, Time: now, Fingerprint: "f"},
		Quota: store.QuotaSpec{PeriodStart: periodStart, PeriodEnd: periodEnd, Aggregation: store.AggregationSum, Limit: 3},
	}
}

// ingestStatuses ingests the events of ids for subject into st in one batch, each a
// limitedEvent, and returns their outcomes' statuses.
func ingestStatuses(t *testing.T, st store.Store, subject string, ids ...string) []store.Status {
	t.Helper()
	events := make([]store.IngestEvent, len(ids))
	for i, id := range ids {
		events[i] = limitedEvent(subject, id)
	}
	res, err := st.Ingest(context.Background(), &store.IngestParams{Events: events, Now: now})
	require.NoError(t, err)
	statuses := make([]store.Status, len(ids))
	for i, o := range res.Outcomes {
		statuses[i] = o.Status
	}
	return statuses
}

var (
	inserted = store.StatusInserted
	refused  = store.StatusQuotaExceeded
)

// On SQLite a batch takes the quota rows this store committed last, with nothing
// written to the database by another connection or another kind of write since,
// as they are: it writes the rows it changes by their key and leaves the others
// unwritten, where a row it compares as it writes it is written whatever the batch
// decided. A refused event shows which: it changes nothing in its row.
func TestARowThisStoreCommittedLastIsNotComparedOnSQLite(t *testing.T) {
	st, _, _ := loggedSQLite(t)
	updates := changedRows(t, st, sqlite3.SQLITE_UPDATE, "usage_quotas")

	require.Equal(t, []store.Status{inserted, inserted}, ingestStatuses(t, st, "acme", "1", "2"))
	require.Equal(t, []store.Status{inserted}, ingestStatuses(t, st, "acme", "3"))
	require.EqualValues(t, 1, updates.Load(), "the row the batch changed is written")
	require.Equal(t, []store.Status{refused}, ingestStatuses(t, st, "acme", "4"))
	require.EqualValues(t, 1, updates.Load(), "a row the batch left as it was is not written")
	requireUsed(t, st, map[string]int64{"acme": 3})
}

// A quota row another store wrote to, or this store by a write other than Ingest
// (a correction), is read again, or compared as it is written: the batches after
// it decide against the row as it is, not as this store committed it.
func TestARowChangedSinceThisStoreCommittedItIsDecidedAsItIs(t *testing.T) {
	t.Run("another store", func(t *testing.T) {
		st, other, _ := loggedSQLiteAndOther(t)
		require.Equal(t, []store.Status{inserted, inserted}, ingestStatuses(t, st, "acme", "1", "2"))
		require.Equal(t, []store.Status{inserted}, ingestStatuses(t, other, "acme", "3"))
		require.Equal(t, []store.Status{refused}, ingestStatuses(t, st, "acme", "4"),
			"the row holds 3 of 3 since the other store's batch")
		requireUsed(t, st, map[string]int64{"acme": 3})
	})
	t.Run("a correction", func(t *testing.T) {
		st, _, _ := loggedSQLite(t)
		require.Equal(t, []store.Status{inserted, inserted, inserted}, ingestStatuses(t, st, "acme", "1", "2", "3"))
		_, err := st.CorrectEvent(context.Background(), &store.CorrectEventParams{
			Correction: store.Correction{ID: "c1", Subject: "acme", EventID: "1", Kind: store.CorrectionVoid},
			Check:      func(store.Event) (int64, string, error) { return 0, "", nil },
			Now:        now,
		})
		require.NoError(t, err)
		require.Equal(t, []store.Status{inserted, refused}, ingestStatuses(t, st, "acme", "4", "5"),
			"the void left 2 of 3")
		requireUsed(t, st, map[string]int64{"acme": 3})
	})
}
