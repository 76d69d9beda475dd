package usage

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

func TestQuotaViewWritten(t *testing.T) {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	now := start.Add(time.Hour)
	row := func(count, used int64) store.Quota {
		return store.Quota{Subject: "acme", Metric: "api_calls", PeriodStart: start, Count: count, Used: used}
	}
	inserted := func(q store.Quota) store.Outcome {
		return store.Outcome{Status: store.StatusInserted, Event: store.Event{Subject: q.Subject, Metric: q.Metric}, Quota: q}
	}
	used := func(v *quotaView) (int64, bool) {
		e, ok := v.get("acme", "api_calls", start, now, time.Second)
		return e.quota.Used, ok
	}

	t.Run("KeepsTheNewestRow", func(t *testing.T) {
		v := newQuotaView()
		v.written([]store.Outcome{inserted(row(2, 20))}, now)
		v.written([]store.Outcome{inserted(row(1, 10))}, now) // committed earlier, reported later
		got, ok := used(&v)
		require.True(t, ok)
		require.Equal(t, int64(20), got)
	})

	t.Run("RefusalsChangeNothing", func(t *testing.T) {
		v := newQuotaView()
		v.written([]store.Outcome{inserted(row(1, 10))}, now)
		v.written([]store.Outcome{{Status: store.StatusQuotaExceeded, Event: store.Event{Subject: "acme", Metric: "api_calls"}, Quota: row(0, 0)}}, now)
		got, ok := used(&v)
		require.True(t, ok)
		require.Equal(t, int64(10), got)
	})

	// A commit whose reply was lost is retried and finds its events stored: the
	// view cannot tell how far usage moved, so it must ask the store again.
	t.Run("DuplicateDropsTheEntry", func(t *testing.T) {
		v := newQuotaView()
		v.written([]store.Outcome{inserted(row(1, 10))}, now)
		v.written([]store.Outcome{{Status: store.StatusDuplicate, Event: store.Event{Subject: "acme", Metric: "api_calls"}, Quota: row(1, 10)}}, now)
		_, ok := used(&v)
		require.False(t, ok, "a duplicate must send the next CheckQuota to the store")
	})
}
