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

// BenchmarkRecentEvents measures the filters' upkeep on a batch's path: 5,000 keys
// never stored looked up, and 5,000 added, per op. It reports the time per event
// and how many of 100,000 keys never stored the default filters, one full and one
// half full, answer yes for.
func BenchmarkRecentEvents(b *testing.B) {
	const n = 5000
	events := func(prefix string, count int) []store.IngestEvent {
		out := make([]store.IngestEvent, count)
		for i := range out {
			out[i] = store.IngestEvent{Event: store.Event{Subject: fmt.Sprint("tenant-", i%100), ID: fmt.Sprint(prefix, i)}}
		}
		return out
	}
	inserted := func(count int) []store.Outcome {
		out := make([]store.Outcome, count)
		for i := range out {
			out[i].Status = store.StatusInserted
		}
		return out
	}
	r := newRecentEvents(store.DefaultRememberedRows)
	stored, fresh, outcomes := events("e", n), events("x", n), inserted(n)
	for b.Loop() {
		_ = r.among(fresh)
		r.add(stored, outcomes)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")

	r = newRecentEvents(store.DefaultRememberedRows)
	full := events("e", store.DefaultRememberedRows*3/2)
	for i := 0; i < len(full); i += n {
		batch := full[i:min(i+n, len(full))]
		r.add(batch, inserted(len(batch)))
	}
	b.ReportMetric(float64(len(r.among(events("x", 100_000)))), "false-yes/100k")
}
