package storetest

import (
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

const unit = store.MicrosPerUnit

// The suite's billing period and clock: every test's events count in this month.
var (
	periodStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	periodEnd   = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	storeNow    = time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC)
)

// ingestEvent builds an event of subject s with the given id, metric and value in
// units, counted against a quota with the given aggregation and limit in units
// (limit < 0: unlimited).
func ingestEvent(s, id, metric string, value float64, agg store.Aggregation, limit int64, overage bool) store.IngestEvent {
	return store.IngestEvent{
		Event: store.Event{Subject: s, ID: id, Metric: metric, Value: int64(value * unit),
			Time: storeNow, Fingerprint: fmt.Sprintf("%s/%v", metric, value)},
		Quota: store.QuotaSpec{PeriodStart: periodStart, PeriodEnd: periodEnd, Aggregation: agg,
			Limit: limit * unit, Unlimited: limit < 0, AllowOverage: overage},
	}
}

// ingest stores events in one batch and returns their outcomes.
func ingest(t testing.TB, st store.Store, events ...store.IngestEvent) []store.Outcome {
	t.Helper()
	res, err := st.Ingest(context.Background(), &store.IngestParams{Events: events, Now: storeNow})
	require.NoError(t, err)
	require.Len(t, res.Outcomes, len(events))
	return res.Outcomes
}

func statuses(outcomes []store.Outcome) []store.Status {
	out := make([]store.Status, len(outcomes))
	for i, o := range outcomes {
		out[i] = o.Status
	}
	return out
}

// getQuota returns the quota row of subject and metric in the suite's period.
func getQuota(t testing.TB, st store.Store, subject, metric string) store.Quota {
	t.Helper()
	res, err := st.GetQuotas(context.Background(), &store.GetQuotasParams{Subject: subject, Metrics: []string{metric}, At: storeNow})
	require.NoError(t, err)
	require.Len(t, res.Quotas, 1, "quota %s/%s", subject, metric)
	return res.Quotas[0]
}

func listEvents(t testing.TB, st store.Store, subject string) []store.Event {
	t.Helper()
	res, err := st.ListEvents(context.Background(), &store.ListEventsParams{Subject: subject, Limit: 100000})
	require.NoError(t, err)
	return res.Events
}

// eventKey identifies a stored event: IDs are unique per subject.
type eventKey struct{ subject, id string }

// listAll returns every stored event of the subjects, paging through ListEvents, and
// fails t if an event is stored twice.
func listAll(t testing.TB, st store.Store, subjects ...string) map[eventKey]store.Event {
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
func requireStored(t testing.TB, acked map[eventKey]bool, stored map[eventKey]store.Event) {
	t.Helper()
	var lost []eventKey
	for k := range acked {
		if _, ok := stored[k]; !ok {
			lost = append(lost, k)
		}
	}
	require.Empty(t, lost[:min(len(lost), 10)], "%d of %d acknowledged events are not stored (at most 10 shown)", len(lost), len(acked))
}

// requireUsageIsStoredEvents fails t unless the sum quota of each subject's metric
// holds the sum of its stored events.
func requireUsageIsStoredEvents(t testing.TB, st store.Store, metric string, at time.Time, stored map[eventKey]store.Event, subjects ...string) {
	t.Helper()
	sums := map[string]int64{}
	for k, e := range stored {
		sums[k.subject] += e.Value
	}
	for _, s := range subjects {
		res, err := st.GetQuotas(context.Background(), &store.GetQuotasParams{Subject: s, Metrics: []string{metric}, At: at})
		require.NoError(t, err)
		require.Len(t, res.Quotas, 1, "quota of %s", s)
		require.Equal(t, sums[s], res.Quotas[0].Used, "quota of %s is the sum of its stored events", s)
	}
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
