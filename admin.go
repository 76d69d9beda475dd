package usage

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/usagekit/usage/store"
)

// maxReasonBytes bounds the reason recorded with an administrative change.
const maxReasonBytes = 1024

// QuotaGrant gives a subject extra units of a metric for the current billing period
// (a top-up). Grants are recorded, never silent: they raise the period's limit and
// the amount its invoice includes.
type QuotaGrant struct {
	Subject string
	Metric  string
	// Units is the amount to add: positive, at most six decimal places, at most
	// MaxValue.
	Units float64
	// Reason says why, for the record. Required, at most 1024 bytes of UTF-8.
	Reason string
	// Actor names who made the change. Optional.
	Actor string
}

// QuotaReset forgives a subject's usage of a metric so far in the current billing
// period, as a recorded grant of what is used beyond earlier grants: Remaining is
// back to at least the plan's limit and the usage before the reset is not billed.
// Used still reports what was used, because it happened; nothing is deleted.
type QuotaReset struct {
	Subject string
	Metric  string
	// Reason says why, for the record. Required, at most 1024 bytes of UTF-8.
	Reason string
	// Actor names who made the change. Optional.
	Actor string
}

// Grant adds units to a subject's quota of a metric for the current period and
// returns the quota's state after it. A metric without a limit returns a
// *ValidationError.
func (m *Meter) Grant(ctx context.Context, g QuotaGrant) (QuotaStatus, error) {
	units, why := quantityOf(g.Units)
	if why == "" && units.micros <= 0 {
		why = "must be positive"
	}
	if why != "" {
		return QuotaStatus{}, invalid("units", "%s", why)
	}
	return m.adjustQuota(ctx, g.Subject, g.Metric, store.AdjustmentGrant, units, g.Reason, g.Actor)
}

// ResetQuota resets a subject's quota of a metric for the current period (see
// QuotaReset) and returns the quota's state after it. A metric without a limit
// returns a *ValidationError.
func (m *Meter) ResetQuota(ctx context.Context, r QuotaReset) (QuotaStatus, error) {
	return m.adjustQuota(ctx, r.Subject, r.Metric, store.AdjustmentReset, Quantity{}, r.Reason, r.Actor)
}

func (m *Meter) adjustQuota(ctx context.Context, subject, key string, kind store.AdjustmentKind, units Quantity, reason, actor string) (QuotaStatus, error) {
	if err := m.checkOpen(); err != nil {
		return QuotaStatus{}, err
	}
	if err := checkName("subject", subject, true); err != nil {
		return QuotaStatus{}, err
	}
	if err := checkName("actor", actor, false); err != nil {
		return QuotaStatus{}, err
	}
	if err := checkReason(reason); err != nil {
		return QuotaStatus{}, err
	}
	metric, err := m.cfg.metric(key)
	if err != nil {
		return QuotaStatus{}, err
	}
	now := m.now()
	r, err := m.resolve(ctx, subject, now)
	if err != nil {
		return QuotaStatus{}, err
	}
	limit := r.plan.limitFor(key)
	if limit.Unlimited {
		return QuotaStatus{}, invalid("metric", "%s has no limit on plan %s: there is nothing to grant or reset", key, r.plan.Key)
	}
	period := r.periodAt(now)
	included, _ := quantityOf(limit.Included) // checked by Config.validate
	res, err := m.store.AdjustQuota(ctx, &store.AdjustQuotaParams{
		Subject: subject, Metric: key, Kind: kind, Amount: units.micros,
		Reason: reason, Actor: actor, Now: now,
		Quota: store.QuotaSpec{PeriodStart: period.Start, PeriodEnd: period.End,
			Aggregation: metric.Aggregation, Limit: included.micros, AllowOverage: limit.Overage},
	})
	if err != nil {
		return QuotaStatus{}, fmt.Errorf("usage: %w", err)
	}
	m.quotaChanged(res.Quota, now)
	return status(metric, period, res.Quota, Quantity{}, now), nil
}

// changePlan stores a new assignment and applies its limits to the current
// period's quota rows.
func (m *Meter) changePlan(ctx context.Context, r *resolved, now time.Time) error {
	limits := make(map[string]store.QuotaLimit, len(m.cfg.metrics))
	for key := range m.cfg.metrics {
		l := r.plan.limitFor(key)
		included, _ := quantityOf(l.Included) // checked by Config.validate
		limits[key] = store.QuotaLimit{Limit: included.micros, Unlimited: l.Unlimited, AllowOverage: l.Overage}
	}
	res, err := m.store.ChangePlan(ctx, &store.ChangePlanParams{At: now, Limits: limits,
		Subject: store.Subject{Subject: r.Subject, Plan: r.Plan, Anchor: r.Anchor, Cycle: string(r.Cycle),
			TimeZone: r.TimeZone, UpdatedAt: now}})
	if err != nil {
		return fmt.Errorf("usage: %w", err)
	}
	for _, q := range res.Quotas {
		m.quotaChanged(q, now)
	}
	return nil
}

// quotaChanged shows a quota row this Meter changed outside Track in CheckQuota's
// answers at once.
func (m *Meter) quotaChanged(q store.Quota, now time.Time) {
	m.view.put(quotaKey{q.Subject, q.Metric}, viewEntry{quota: q, fresh: now})
}

func checkReason(reason string) error {
	switch {
	case reason == "":
		return invalid("reason", "empty: say why, for the record")
	case len(reason) > maxReasonBytes:
		return invalid("reason", "%d bytes, more than the maximum of %d", len(reason), maxReasonBytes)
	case !utf8.ValidString(reason):
		return invalid("reason", "not valid UTF-8")
	}
	for _, c := range reason {
		if c == 0 {
			return invalid("reason", "contains a NUL byte")
		}
	}
	return nil
}
