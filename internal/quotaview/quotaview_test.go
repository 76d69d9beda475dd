package quotaview

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

func TestQuotaViewWritten(t *testing.T) {
	march := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	april := march.AddDate(0, 1, 0)
	now := april.Add(-time.Hour)
	row := func(start time.Time, count, used int64) store.Quota {
		return store.Quota{Subject: "acme", Metric: "api_calls", PeriodStart: start, Count: count, Used: used}
	}
	for _, tt := range []struct {
		name    string
		commits []store.Quota // the rows of successive commits, in the order reported
		period  time.Time
		want    int64
	}{
		// Another writer's commit, reported after a later one, is older: skipped.
		{"KeepsTheNewestRow", []store.Quota{row(march, 2, 20), row(march, 1, 10)}, march, 20},
		// A commit of only refusals or duplicates reports the row unchanged.
		{"ACommitThatChangedNothingKeepsTheRow", []store.Quota{row(march, 1, 10), row(march, 1, 10)}, march, 10},
		// A commit whose reply was lost never reported its rows; its retry finds the
		// events stored and reports the rows as they stand, with that commit's usage.
		{"TheRetryOfALostReplyReportsItsUsage", []store.Quota{row(march, 1, 10), row(march, 3, 30)}, march, 30},
		// A new period's row replaces the last period's, however few its events.
		{"ANewPeriodReplacesTheOld", []store.Quota{row(march, 5, 50), row(april, 1, 1)}, april, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := New(10)
			v.Put(Entry{Quota: store.Quota{Subject: "acme", Metric: "api_calls", PeriodStart: march}, Fresh: now, Missing: true})
			for _, q := range tt.commits {
				v.Written([]store.Quota{q}, now)
			}
			e, ok := v.Get("acme", "api_calls", tt.period, now, time.Second)
			require.True(t, ok)
			require.Equal(t, tt.want, e.Quota.Used)
		})
	}
}

// An entry's attachment is made only to a row of the period it names, kept whole
// by the rows commits write, and cleared by Put and Detach.
func TestQuotaViewAttachesAnOwnerToARowOfItsPeriod(t *testing.T) {
	march := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	april := march.AddDate(0, 1, 0)
	now := april.Add(-time.Hour)
	row := store.Quota{Subject: "acme", Metric: "api_calls", PeriodStart: march, Count: 1, Used: 10}
	owner := new(int)
	in := func(start, end time.Time) Attachment {
		return Attachment{Owner: owner, Period: [2]time.Time{start, end},
			Expires: now.Add(time.Minute), RefreshAt: now.Add(50 * time.Second)}
	}
	attachmentOf := func(v *View) Attachment {
		t.Helper()
		e, ok := v.Fresh("acme", "api_calls", now, time.Second)
		require.True(t, ok)
		return e.Attachment
	}

	v := New(10)
	v.Put(Entry{Quota: store.Quota{Subject: "acme", Metric: "api_calls", PeriodStart: march}, Fresh: now, Missing: true})
	v.Attach("acme", "api_calls", in(march, april))
	require.Zero(t, attachmentOf(v), "a missing row has no owner")
	v.Put(Entry{Quota: row, Fresh: now})
	v.Attach("acme", "api_calls", in(april, april.AddDate(0, 1, 0)))
	require.Zero(t, attachmentOf(v), "not to a row of another period")
	v.Attach("acme", "api_calls", in(march, april))
	require.Equal(t, in(march, april), attachmentOf(v))
	row.Count, row.Used = 2, 20
	v.Written([]store.Quota{row}, now)
	require.Equal(t, in(march, april), attachmentOf(v), "a commit's row keeps it")
	v.Detach("acme", "api_calls")
	require.Zero(t, attachmentOf(v))
	v.Attach("acme", "api_calls", in(march, april))
	v.Put(Entry{Quota: row, Fresh: now})
	require.Zero(t, attachmentOf(v), "a row put anew has none")
	v.Attach("acme", "api_calls", in(march, april))
	v.Written([]store.Quota{{Subject: "acme", Metric: "api_calls", PeriodStart: april, Count: 1, Used: 1}}, now)
	require.Zero(t, attachmentOf(v), "a row of the next period drops it")
	_, ok := v.Fresh("acme", "api_calls", now.Add(2*time.Second), time.Second)
	require.False(t, ok, "past its time to live")
}

// The view keeps fresh the rows it holds, those CheckQuota read, and leaves out the
// other rows a commit wrote: tracking for subjects never checked takes no place.
func TestQuotaViewKeepsOnlyTheRowsItHolds(t *testing.T) {
	march := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	now := march.Add(time.Hour)
	v := New(10)
	v.Put(Entry{Quota: store.Quota{Subject: "acme", Metric: "api_calls", PeriodStart: march, Count: 1, Used: 1}, Fresh: now})
	v.Written([]store.Quota{
		{Subject: "acme", Metric: "api_calls", PeriodStart: march, Count: 2, Used: 7},
		{Subject: "globex", Metric: "api_calls", PeriodStart: march, Count: 1, Used: 3},
		{Subject: "acme", Metric: "storage", PeriodStart: march, Count: 1, Used: 9},
	}, now.Add(time.Minute))
	require.Equal(t, 1, v.Len(), "the rows nobody checked are left out")
	e, ok := v.Get("acme", "api_calls", march, now.Add(time.Minute), time.Second)
	require.True(t, ok, "the row held is fresh as the commit left it")
	require.Equal(t, int64(7), e.Quota.Used)
	_, ok = v.Get("globex", "api_calls", march, now, time.Hour)
	require.False(t, ok)
}

func TestQuotaViewHoldsAtMostItsSizeAndDropsAnEntryNotReadRecently(t *testing.T) {
	march := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	now := march.Add(time.Hour)
	v := New(3)
	row := func(subject string) store.Quota {
		return store.Quota{Subject: subject, Metric: "api_calls", PeriodStart: march, Count: 1, Used: 1}
	}
	put := func(subjects ...string) {
		for _, s := range subjects {
			v.Put(Entry{Quota: row(s), Fresh: now})
		}
	}
	put("a", "b", "c")
	_, ok := v.Get("a", "api_calls", march, now, time.Second) // a is used again: b is the oldest
	require.True(t, ok)
	for i := range 1000 {
		v.Put(Entry{Quota: row("p" + strconv.Itoa(i)), Fresh: now})
		require.LessOrEqual(t, v.Len(), 3)
	}
	v = New(3)
	put("a", "b", "c")
	_, ok = v.Get("a", "api_calls", march, now, time.Second)
	require.True(t, ok)
	put("d")
	require.Equal(t, 3, v.Len())
	_, ok = v.Get("b", "api_calls", march, now, time.Second)
	require.False(t, ok, "the entry not read since the others were is dropped")
	for _, s := range []string{"a", "c", "d"} {
		_, ok = v.Get(s, "api_calls", march, now, time.Second)
		require.True(t, ok, "entry of %s", s)
	}
}

// TestConcurrentCommitsLeaveTheNewestRowInTheView reports the rows of many commits
// from several goroutines at once, in no particular order, while others read: the
// view ends with the row with the most events, never an older one reported later.
func TestConcurrentCommitsLeaveTheNewestRowInTheView(t *testing.T) {
	march := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	now := march.Add(time.Hour)
	v := New(4)
	v.Put(Entry{Quota: store.Quota{Subject: "acme", Metric: "api_calls", PeriodStart: march}, Fresh: now, Missing: true})
	const writers, commits = 4, 20000
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range commits {
				count := int64(i*writers + w + 1)
				v.Written([]store.Quota{{Subject: "acme", Metric: "api_calls", PeriodStart: march, Count: count, Used: count}}, now)
			}
		})
		wg.Go(func() {
			last := int64(0)
			for range commits {
				if e, ok := v.Get("acme", "api_calls", march, now, time.Second); ok {
					if e.Quota.Count < last {
						t.Errorf("read %d events after %d", e.Quota.Count, last)
						return
					}
					last = e.Quota.Count
				}
			}
		})
	}
	wg.Wait()
	e, ok := v.Get("acme", "api_calls", march, now, time.Second)
	require.True(t, ok)
	require.Equal(t, int64(writers*commits), e.Quota.Count)
}
