package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// EventKey identifies a stored event: IDs are unique per subject.
type EventKey struct{ Subject, ID string }

// StoredEvents returns every stored event of the subjects, paging through
// ListEvents, and fails t if an event is stored twice or a page is out of storage
// order.
func StoredEvents(t testing.TB, st store.Store, subjects ...string) map[EventKey]store.Event {
	t.Helper()
	const page = 500
	out := map[EventKey]store.Event{}
	for _, s := range subjects {
		var after int64
		for {
			res, err := st.ListEvents(context.Background(), &store.ListEventsParams{Subject: s, AfterSeq: after, Limit: page})
			require.NoError(t, err)
			for _, e := range res.Events {
				k := EventKey{e.Subject, e.ID}
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

// RequireStored fails t unless every acknowledged event is stored, naming a few of
// those that are not.
func RequireStored(t testing.TB, acked map[EventKey]bool, stored map[EventKey]store.Event) {
	t.Helper()
	var lost []EventKey
	for k := range acked {
		if _, ok := stored[k]; !ok {
			lost = append(lost, k)
		}
	}
	require.Empty(t, lost[:min(len(lost), 10)], "%d of %d acknowledged events are not stored (at most 10 shown)", len(lost), len(acked))
}

// RequireUsageIsStoredEvents fails t unless the sum quota of each subject's metric
// at time at holds the sum of its stored events.
func RequireUsageIsStoredEvents(t testing.TB, st store.Store, metric string, at time.Time, stored map[EventKey]store.Event, subjects ...string) {
	t.Helper()
	sums := map[string]int64{}
	for k, e := range stored {
		sums[k.Subject] += e.Value
	}
	for _, s := range subjects {
		res, err := st.GetQuotas(context.Background(), &store.GetQuotasParams{Subject: s, Metrics: []string{metric}, At: at})
		require.NoError(t, err)
		require.Len(t, res.Quotas, 1, "quota of %s", s)
		require.Equal(t, sums[s], res.Quotas[0].Used, "quota of %s is the sum of its stored events", s)
	}
}
