package usage

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/usagekit/usage/internal/quotaview"
	"github.com/usagekit/usage/store"
)

// QuotaStatus is the state of one subject's quota for one metric in the current
// billing period.
type QuotaStatus struct {
	Subject     string
	Metric      string
	Unit        string
	Aggregation Aggregation
	// Period is the current billing period, in the subject's time zone.
	Period Period
	// At is the Meter's time when it answered, which Period and Allowed are as of.
	// With the real clock it carries a monotonic reading, so time.Since(At) measures
	// the time since.
	At time.Time
	// Limit is the quota's limit; zero and meaningless when Unlimited.
	Limit     Quantity
	Unlimited bool
	// AllowOverage means usage may pass Limit and is billed as overage.
	AllowOverage bool
	// Used is the usage so far under the metric's aggregation.
	Used Quantity
	// Remaining is Limit - Used, never below zero; zero when Unlimited.
	Remaining Quantity
	// Overage is Used - Limit when positive, else zero.
	Overage Quantity
	// Percent is Used as a percentage of Limit (may pass 100); zero when Unlimited or
	// the limit is zero.
	Percent float64
	// Requested is the amount CheckQuota asked about; zero from Quotas.
	Requested Quantity
	// Allowed reports whether Requested more would be admitted now. Over quota is an
	// answer, not an error: Allowed is false and the call succeeds.
	Allowed bool
	// Stale means the database was unavailable and, as Config.WhenUnavailable
	// (AnswerStale) asks, the answer is from what this Meter last knew of the quota
	// and the subject's plan: its own writes are in it, other instances' since then
	// may not be.
	Stale bool
}

// CheckQuota reports whether n more units of metric would be admitted for subject
// now, and the quota's state. It does not record anything: Track is what enforces,
// atomically. It answers from memory when it can: always consistent with this
// Meter's own Track calls, and at most Config.QuotaViewTTL behind the writes of other
// instances (Config.StrictQuotaCheck reads the database every time). n must be a positive quantity; NaN, infinities, zero and negative
// values return a *ValidationError. While the database is unavailable it waits for
// it, or answers from memory marked Stale, as Config.WhenUnavailable says.
func (m *Meter) CheckQuota(ctx context.Context, subject, metric string, n float64) (s QuotaStatus, err error) {
	if m.checkFromMemory(&s, subject, metric, n) {
		return s, nil
	}
	return m.checkQuota(ctx, subject, metric, n)
}

// checkQuota is CheckQuota when checkFromMemory cannot answer: apart, so that
// an answer from memory does not pay for this path's frame.
func (m *Meter) checkQuota(ctx context.Context, subject, metric string, n float64) (QuotaStatus, error) {
	met, err := m.subjectMetric(subject, metric)
	if err != nil {
		return QuotaStatus{}, err
	}
	want, why := quantityOf(n, met.scale())
	if why == "" && want.Sign() <= 0 {
		why = "must be positive"
	}
	if why != "" {
		return QuotaStatus{}, invalid("n", "%s", why)
	}
	return m.quota(ctx, "check quota", subject, met, want)
}

// Quotas returns the state of every quota of subject's plan in the current period,
// one per metric of the Config, ordered by metric key. While the database is
// unavailable it waits for it, or answers from memory marked Stale, as
// Config.WhenUnavailable says.
func (m *Meter) Quotas(ctx context.Context, subject string) ([]QuotaStatus, error) {
	if err := m.forSubject(subject); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(m.cfg.metrics))
	for k := range m.cfg.metrics {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]QuotaStatus, len(keys))
	for i, key := range keys {
		s, err := m.quota(ctx, "quotas", subject, m.cfg.metrics[key], Quantity{})
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// quota returns the status of subject's quota of metric, asking whether want more
// would be admitted. op names the public method, for its errors' prefix.
func (m *Meter) quota(ctx context.Context, op, subject string, metric Metric, want Quantity) (QuotaStatus, error) {
	now := m.now()
	r, stale, err := m.resolveForRead(ctx, op, subject, now)
	if err != nil {
		return QuotaStatus{}, err
	}
	period := r.periodAt(now)
	key := metric.Key
	q, found, staleQuota, err := m.quotaAt(ctx, subject, key, period, now)
	if err != nil {
		return QuotaStatus{}, fmt.Errorf("usage: %s: %w", op, err)
	}
	if !found {
		limit := r.limits[key]
		q = &store.Quota{Subject: subject, Metric: key, Aggregation: metric.Aggregation,
			Limit: limit.Limit, Unlimited: limit.Unlimited, AllowOverage: limit.AllowOverage}
	} else if !stale && !staleQuota && !m.cfg.StrictQuotaCheck {
		m.attachAssignment(subject, key, r, period)
	}
	s := status(metric, period, q, want, now)
	s.Stale = stale || staleQuota
	return s, nil
}

// checkFromMemory is CheckQuota's answer when everything it needs is in memory
// and its arguments are plainly valid: the quota row in the view and fresh, with
// the subject's assignment the full path attached to it still fresh and its
// period still current. It fills s and reports true; otherwise CheckQuota takes
// its full path, which checks the arguments and answers the same. Apart, so that
// an answer from memory runs only this: it is on the path of every metered
// request.
func (m *Meter) checkFromMemory(s *QuotaStatus, subject, metric string, n float64) bool {
	if m.cfg.StrictQuotaCheck || m.closed.Load() || !plainName(subject) {
		return false
	}
	met, ok := m.cfg.metrics[metric]
	if !ok {
		return false
	}
	want, why := quantityOf(n, met.scale())
	if why != "" || want.Sign() <= 0 {
		return false
	}
	now := m.now()
	e, ok := m.view.Fresh(subject, metric, now, m.cfg.QuotaViewTTL)
	if !ok || e.Missing {
		return false
	}
	// The assignment the full path last checked the entry against, and its
	// period (see attachAssignment). While it is fresh, it is what a lookup would
	// return, or one that a refresh replaced within its time to live: that is as
	// late as other instances' changes may show.
	period := Period{Start: e.Period[0], End: e.Period[1]}
	if e.Owner == nil || !now.Before(e.Expires) || !period.Contains(now) {
		return false
	}
	if !now.Before(e.RefreshAt) {
		m.refreshIfDue(e.Owner.(*resolved), now)
	}
	fillStatus(s, &met, &period, &e.Quota, want, now)
	return true
}

// attachAssignment records on the view's entry for subject and metric that its
// row belongs to r's period, so that checkFromMemory can answer from the entry
// without looking r up. Only the assignment in the cache is attached: one read
// before this Meter changed it is not, nor one that a change made meanwhile
// replaces (assignmentChanged counts the change before it detaches).
func (m *Meter) attachAssignment(subject, metric string, r *resolved, period Period) {
	changes := m.refresher.changes.Load()
	if cached, ok := m.assignments.Get(subject); !ok || *cached != r {
		return
	}
	m.view.Attach(subject, metric, quotaview.Attachment{Owner: r, Period: [2]time.Time{period.Start, period.End},
		Expires: r.expires, RefreshAt: r.refreshAt()})
	if m.refresher.changes.Load() != changes {
		m.view.Detach(subject, metric)
	}
}

// fillStatus sets s to the QuotaStatus of a quota row, asking whether want more
// would be admitted (as a new distinct value, for unique_count).
func fillStatus(s *QuotaStatus, metric *Metric, period *Period, q *store.Quota, want Quantity, now time.Time) {
	*s = QuotaStatus{
		Subject: q.Subject, Metric: q.Metric, Unit: metric.Unit, Aggregation: q.Aggregation,
		Period: *period, At: now, Unlimited: q.Unlimited, AllowOverage: q.AllowOverage,
		Used: metric.quantity(q.Used), Requested: want, Allowed: true,
	}
	if !q.Unlimited {
		s.Limit = metric.quantity(q.Limit)
		s.Remaining = metric.quantity(max(q.Limit-q.Used, 0))
		s.Overage = metric.quantity(max(q.Used-q.Limit, 0))
		if q.Limit > 0 {
			s.Percent = float64(q.Used) / float64(q.Limit) * 100
		}
	}
	if w, _ := want.at(metric.scale()); w > 0 {
		after, err := q.UsedAfter(w, now, true)
		if q.Aggregation == AggregationCount {
			// A count quota asks about want more events, not one event of that size.
			after, err = q.Used+w, nil
		}
		s.Allowed = err == nil && !q.RefusesChange(q.Used, after)
	}
}

// status is fillStatus's QuotaStatus as a value.
func status(metric Metric, period Period, q *store.Quota, want Quantity, now time.Time) QuotaStatus {
	var s QuotaStatus
	fillStatus(&s, &metric, &period, q, want, now)
	return s
}

// quotaChanged shows a quota row this Meter changed outside Track in CheckQuota's
// answers at once.
func (m *Meter) quotaChanged(q store.Quota, now time.Time) {
	m.view.Put(quotaview.Entry{Quota: q, Fresh: now})
}

// quotaAt returns the quota row of subject and metric for the period, from the view
// when it is fresh enough and Config.StrictQuotaCheck is off, else from the store.
// found is false when the period has no usage yet. With AnswerStale, when the
// database is unavailable and the view has the row, however old, it returns that
// with stale set. The row may be the view's: the caller must not change it.
func (m *Meter) quotaAt(ctx context.Context, subject, metric string, period Period, now time.Time) (q *store.Quota, found, stale bool, err error) {
	if !m.cfg.StrictQuotaCheck {
		if e, ok := m.view.Get(subject, metric, period.Start, now, m.cfg.QuotaViewTTL); ok {
			return &e.Quota, !e.Missing, false, nil
		}
	}
	return m.readQuota(ctx, subject, metric, period, now)
}

// readQuota is quotaAt when the view cannot answer, apart so that the answers from
// the view do not pay for its locals.
func (m *Meter) readQuota(ctx context.Context, subject, metric string, period Period, now time.Time) (q *store.Quota, found, stale bool, err error) {
	params := &store.GetQuotasParams{Subject: subject, Metrics: []string{metric}, At: now}
	var res *store.GetQuotasResult
	if m.cfg.WhenUnavailable == AnswerStale {
		res, err = m.direct.GetQuotas(ctx, params)
		if errors.Is(err, ErrUnavailable) {
			if e, ok := m.view.Get(subject, metric, period.Start, now, math.MaxInt64); ok {
				return &e.Quota, !e.Missing, true, nil
			}
			res, err = nil, nil
		}
	}
	if res == nil && err == nil {
		res, err = m.store.GetQuotas(ctx, params)
	}
	if err != nil {
		return nil, false, false, fmt.Errorf("quota of %q %s: %w", subject, metric, err)
	}
	e := quotaview.Entry{Fresh: now, Missing: len(res.Quotas) == 0}
	if e.Missing {
		e.Quota = store.Quota{Subject: subject, Metric: metric, PeriodStart: period.Start}
	} else {
		e.Quota = res.Quotas[0]
	}
	m.view.Put(e)
	return &e.Quota, !e.Missing, false, nil
}
