// Package quotaview is a Meter's in-memory copy of the quota rows it has read or
// written, so CheckQuota can answer without a query. It is always consistent with
// the Meter's own writes: every commit puts the rows it wrote (read under their
// lock, so including every earlier write of every instance) into the view. Writes
// by other instances show once an entry is older than its time to live and read
// again. Enforcement never uses it: Track decides in the database.
package quotaview

import (
	"time"

	"github.com/puzpuzpuz/xsync/v3"

	"github.com/usagekit/usage/store"
)

// View holds the latest known quota row of each subject and metric.
type View struct {
	// rows is a concurrent map whose reads take no lock, so parallel CheckQuota
	// calls do not contend.
	rows *xsync.MapOf[key, Entry]
}

// New returns an empty view.
func New() View {
	return View{rows: xsync.NewMapOf[key, Entry]()}
}

type key struct{ subject, metric string }

// Entry is what the view knows of one quota row.
type Entry struct {
	Quota store.Quota
	// Fresh is when the row was last known to match the database.
	Fresh time.Time
	// Missing means the store had no row: no usage yet in the period.
	Missing bool
}

// Get returns the entry for a subject and metric in the period starting at
// periodStart, if it is no older than ttl at now.
func (v View) Get(subject, metric string, periodStart, now time.Time, ttl time.Duration) (Entry, bool) {
	e, ok := v.rows.Load(key{subject, metric})
	if !ok || !e.Quota.PeriodStart.Equal(periodStart) || now.Sub(e.Fresh) > ttl {
		return Entry{}, false
	}
	return e, true
}

// Put records what the store said of a quota row (or its absence), replacing what
// the view had. Missing entries name their subject and metric in Quota.
func (v View) Put(e Entry) {
	v.rows.Store(key{e.Quota.Subject, e.Quota.Metric}, e)
}

// Written merges the quota rows a commit left, read under their lock, at now. A
// row with fewer applied events than the view's entry for the same period is older
// (another writer of this process committed after it) and is skipped. The rows
// include those of events the commit found stored already, so when a commit
// succeeds but its reply is lost, the view learns of its usage from the retry.
func (v View) Written(rows []store.Quota, now time.Time) {
	for _, q := range rows {
		v.rows.Compute(key{q.Subject, q.Metric}, func(old Entry, loaded bool) (Entry, bool) {
			if loaded && !old.Missing && newer(old.Quota, q) {
				return old, false
			}
			return Entry{Quota: q, Fresh: now}, false
		})
	}
}

// newer reports whether a is a later state of b's quota row: the same period, with
// more events applied.
func newer(a, b store.Quota) bool {
	return a.PeriodStart.Equal(b.PeriodStart) && a.Count > b.Count
}
