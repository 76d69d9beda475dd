// Package quotaview is a Meter's in-memory copy of the quota rows CheckQuota has
// read, so it can answer again without a query. It is always consistent with the
// Meter's own writes: every commit puts the rows it wrote (read under their lock,
// so including every earlier write of every instance) in the place of those the
// view holds. A row nobody has checked is left out: tracking for a subject that is
// never checked would only take a place another needs. Writes by other instances
// show once an entry is older than its time to live and read again. Enforcement
// never uses it: Track decides in the database.
package quotaview

import (
	"time"

	"github.com/usagekit/usage/internal/clockcache"
	"github.com/usagekit/usage/store"
)

// View holds the latest known quota row of each subject and metric, for at most a
// fixed number of them: past that, an entry not read recently is dropped (see
// clockcache), and read again from the store when it is next asked for. Get takes
// no lock. It is safe for concurrent use.
type View struct {
	// rows hands out pointers to entries never changed once stored, so a Get
	// copies no row. Held here rather than by pointer: a cold lookup follows one
	// pointer fewer.
	rows clockcache.Cache[key, Entry]
}

// New returns an empty view that holds at most size entries (at least one).
func New(size int) *View {
	v := new(View)
	v.Init(size)
	return v
}

// Init makes v, a zero View, an empty view as New's: for a View held in the
// struct that reads it, one pointer fewer to follow.
func (v *View) Init(size int) { v.rows.Init(size) }

type key struct{ subject, metric string }

// Entry is what the view knows of one quota row.
type Entry struct {
	Quota store.Quota
	// Fresh is when the row was last known to match the database.
	Fresh time.Time
	// Missing means the store had no row: no usage yet in the period.
	Missing bool
	// Attachment is zero until Attach; Written keeps it while the row stays in
	// its period, Put and Detach clear it.
	Attachment
}

// Attachment is what the Meter checked an entry against when it last answered
// from the store's state, so that an answer from the entry alone need not look it
// up again.
type Attachment struct {
	// Owner is the subject's plan assignment; Period the period it puts the
	// row in, in the owner's time zone.
	Owner  any
	Period [2]time.Time
	// Expires and RefreshAt are the owner's: when it is no longer used, and when
	// a reader asks for it to be read again. Copied here, so that a reader
	// follows no pointer to the owner while it is fresh.
	Expires, RefreshAt time.Time
}

// Get returns the entry for a subject and metric in the period starting at
// periodStart, if it is no older than ttl at now. The entry is shared: the caller
// must not change it.
func (v *View) Get(subject, metric string, periodStart, now time.Time, ttl time.Duration) (*Entry, bool) {
	e, ok := v.Fresh(subject, metric, now, ttl)
	if !ok || !e.Quota.PeriodStart.Equal(periodStart) {
		return nil, false
	}
	return e, true
}

// Fresh returns the entry for a subject and metric, whatever its period, if it is
// no older than ttl at now. The entry is shared: the caller must not change it.
func (v *View) Fresh(subject, metric string, now time.Time, ttl time.Duration) (*Entry, bool) {
	e, ok := v.rows.Get(key{subject, metric})
	if !ok || now.Sub(e.Fresh) > ttl {
		return nil, false
	}
	return e, true
}

// Attach sets the Attachment of the entry for a subject and metric, if it holds a
// row of a's period.
func (v *View) Attach(subject, metric string, a Attachment) {
	k := key{subject, metric}
	// Most calls find it attached already: they take no lock.
	if e, ok := v.rows.Peek(k); ok && e.Owner == a.Owner {
		return
	}
	v.rows.Update(k, func(old *Entry) (Entry, bool) {
		if old == nil || old.Missing || old.Owner == a.Owner || !old.Quota.PeriodStart.Equal(a.Period[0]) {
			return Entry{}, false
		}
		e := *old
		e.Attachment = a
		return e, true
	})
}

// Detach clears the Attachment of the entry for a subject and metric.
func (v *View) Detach(subject, metric string) {
	v.rows.Update(key{subject, metric}, func(old *Entry) (Entry, bool) {
		if old == nil || old.Owner == nil {
			return Entry{}, false
		}
		e := *old
		e.Attachment = Attachment{}
		return e, true
	})
}

// Put records what the store said of a quota row (or its absence), replacing what
// the view had. Missing entries name their subject and metric in Quota.
func (v *View) Put(e Entry) {
	v.rows.Add(key{e.Quota.Subject, e.Quota.Metric}, e)
}

// Written merges the quota rows a commit left, read under their lock, at now, into
// the entries the view holds; a row it holds no entry for is left out (see the
// package doc). A row with fewer applied events than the view's entry for the same
// period is older (another writer of this process committed after it) and is
// skipped. The rows include those of events the commit found stored already, so
// when a commit succeeds but its reply is lost, the view learns of its usage from
// the retry.
func (v *View) Written(rows []store.Quota, now time.Time) {
	for _, q := range rows {
		k := key{q.Subject, q.Metric}
		// Most rows of a busy commit have no entry when few subjects are
		// checked: looked up without the lock that Update takes.
		if _, ok := v.rows.Peek(k); !ok {
			continue
		}
		// Checked and replaced in one step: two commits reporting at once
		// cannot leave the older row in the view.
		v.rows.Update(k, func(old *Entry) (Entry, bool) {
			if old == nil || (!old.Missing && newer(old.Quota, q)) {
				return Entry{}, false // dropped meanwhile, or newer
			}
			e := Entry{Quota: q, Fresh: now}
			if q.PeriodStart.Equal(old.Period[0]) {
				e.Attachment = old.Attachment
			}
			return e, true
		})
	}
}

// Len is the number of entries the view holds.
func (v *View) Len() int { return v.rows.Len() }

// newer reports whether a is a later state of b's quota row: the same period, with
// more events applied.
func newer(a, b store.Quota) bool {
	return a.PeriodStart.Equal(b.PeriodStart) && a.Count > b.Count
}
