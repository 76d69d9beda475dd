package usage

import (
	"context"
	"fmt"
	"time"

	"github.com/puzpuzpuz/xsync/v3"

	"github.com/usagekit/usage/store"
)

// quotaView is this instance's in-memory copy of the quota rows it has read or
// written, so CheckQuota can answer without a query. It is always consistent with
// this instance's own writes: every commit puts the rows it wrote (read under their
// lock, so including every earlier write of every instance) into the view. Writes by
// other instances show once an entry is older than Config.QuotaViewTTL and read
// again. Enforcement never uses it: Track decides in the database.
type quotaView struct {
	// rows is a concurrent map whose reads take no lock, so parallel CheckQuota
	// calls do not contend.
	rows *xsync.MapOf[quotaKey, viewEntry]
}

func newQuotaView() quotaView {
	return quotaView{rows: xsync.NewMapOf[quotaKey, viewEntry]()}
}

type quotaKey struct{ subject, metric string }

type viewEntry struct {
	quota store.Quota
	// fresh is when the row was last known to match the database.
	fresh time.Time
	// missing means the store had no row: no usage yet in the period.
	missing bool
}

// get returns the entry for a subject and metric in the period starting at
// periodStart, if it is no older than ttl at now.
func (v *quotaView) get(subject, metric string, periodStart, now time.Time, ttl time.Duration) (viewEntry, bool) {
	e, ok := v.rows.Load(quotaKey{subject, metric})
	if !ok || !e.quota.PeriodStart.Equal(periodStart) || now.Sub(e.fresh) > ttl {
		return viewEntry{}, false
	}
	return e, true
}

// put records a row read from the store (or its absence) at now.
func (v *quotaView) put(key quotaKey, e viewEntry) {
	v.rows.Store(key, e)
}

// written merges the quota rows a commit left, read under their lock. A row with
// fewer applied events than the view's entry for the same period is older (another
// writer of this process committed after it) and is skipped. The rows include those
// of events the commit found stored already, so when a commit succeeds but its reply
// is lost, the view learns of its usage from the retry.
func (v *quotaView) written(rows []store.Quota, now time.Time) {
	for _, q := range rows {
		v.rows.Compute(quotaKey{q.Subject, q.Metric}, func(old viewEntry, loaded bool) (viewEntry, bool) {
			if loaded && !old.missing && newer(old.quota, q) {
				return old, false
			}
			return viewEntry{quota: q, fresh: now}, false
		})
	}
}

// newer reports whether a is a later state of b's quota row: the same period, with
// more events applied.
func newer(a, b store.Quota) bool {
	return a.PeriodStart.Equal(b.PeriodStart) && a.Count > b.Count
}

// quotaAt returns the quota row of subject and metric for the period, from the view
// when it is fresh enough and Config.StrictQuotaCheck is off, else from the store.
// found is false when the period has no usage yet.
func (m *Meter) quotaAt(ctx context.Context, subject, metric string, period Period, now time.Time) (q store.Quota, found bool, err error) {
	if !m.cfg.StrictQuotaCheck {
		if e, ok := m.view.get(subject, metric, period.Start, now, m.cfg.QuotaViewTTL); ok {
			return e.quota, !e.missing, nil
		}
	}
	res, err := m.store.GetQuotas(ctx, &store.GetQuotasParams{Subject: subject, Metrics: []string{metric}, At: now})
	if err != nil {
		return store.Quota{}, false, fmt.Errorf("usage: quota of %q %s: %w", subject, metric, err)
	}
	e := viewEntry{fresh: now, missing: len(res.Quotas) == 0}
	if e.missing {
		e.quota = store.Quota{Subject: subject, Metric: metric, PeriodStart: period.Start}
	} else {
		e.quota = res.Quotas[0]
	}
	m.view.put(quotaKey{subject, metric}, e)
	return e.quota, !e.missing, nil
}
