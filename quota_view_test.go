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
	used := func(v *quotaView) (int64, bool) {
		e, ok := v.get("acme", "api_calls", start, now, time.Second)
		return e.quota.Used, ok
	}

	t.Run("KeepsTheNewestRow", func(t *testing.T) {
		v := newQuotaView()
		v.written([]store.Quota{row(2, 20)}, now)
		v.written([]store.Quota{row(1, 10)}, now) // committed earlier, reported later
		got, ok := used(&v)
		require.True(t, ok)
		require.Equal(t, int64(20), got)
	})

	t.Run("ACommitThatChangedNothingKeepsTheRow", func(t *testing.T) {
		v := newQuotaView()
		v.written([]store.Quota{row(1, 10)}, now)
		v.written([]store.Quota{row(1, 10)}, now) // only refusals or duplicates
		got, ok := used(&v)
		require.True(t, ok)
		require.Equal(t, int64(10), got)
	})

	// A commit whose reply was lost never reported its rows; its retry finds the
	// events stored and reports the rows as they stand, with that commit's usage.
	t.Run("TheRetryOfALostReplyReportsItsUsage", func(t *testing.T) {
		v := newQuotaView()
		v.written([]store.Quota{row(1, 10)}, now)
		v.written([]store.Quota{row(3, 30)}, now)
		got, ok := used(&v)
		require.True(t, ok)
		require.Equal(t, int64(30), got)
	})
}
