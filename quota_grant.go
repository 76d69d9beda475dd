package usage

import (
	"context"
	"fmt"

	"github.com/usagekit/usage/store"
)

// QuotaGrant gives a subject extra units of a metric for the current billing period
// (a top-up). Grants are recorded, never silent: they raise the period's limit and
// the amount its invoice includes.
type QuotaGrant struct {
	Subject string
	Metric  string
	// Units is the amount to add: positive and within what an event of the metric
	// may carry (MaxValue with at most six decimal places, or a whole number up to
	// MaxWholeValue for a WholeUnits metric).
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
	return m.adjustQuota(ctx, g.Subject, g.Metric, store.AdjustmentGrant, &g.Units, g.Reason, g.Actor)
}

// ResetQuota resets a subject's quota of a metric for the current period (see
// QuotaReset) and returns the quota's state after it. A metric without a limit
// returns a *ValidationError.
func (m *Meter) ResetQuota(ctx context.Context, r QuotaReset) (QuotaStatus, error) {
	return m.adjustQuota(ctx, r.Subject, r.Metric, store.AdjustmentReset, nil, r.Reason, r.Actor)
}

// adjustQuota grants units (nil for a reset) or resets.
func (m *Meter) adjustQuota(ctx context.Context, subject, key string, kind store.AdjustmentKind, units *float64, reason, actor string) (QuotaStatus, error) {
	if err := m.forSubject(subject); err != nil {
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
	var amount int64
	if units != nil {
		q, why := quantityOf(*units, metric.scale())
		if why == "" && q.Sign() <= 0 {
			why = "must be positive"
		}
		if why != "" {
			return QuotaStatus{}, invalid("units", "%s", why)
		}
		amount, _ = q.at(metric.scale())
	}
	now := m.now()
	r, err := m.resolve(ctx, "adjust quota", subject, now)
	if err != nil {
		return QuotaStatus{}, err
	}
	limit := r.limits[key]
	if limit.Unlimited {
		return QuotaStatus{}, invalid("metric", "%s has no limit on plan %s: there is nothing to grant or reset", key, r.plan.Key)
	}
	period := r.periodAt(now)
	res, err := m.store.AdjustQuota(ctx, &store.AdjustQuotaParams{
		Subject: subject, Metric: key, Kind: kind, Amount: amount,
		Reason: reason, Actor: actor, Now: now,
		Quota: store.QuotaSpec{PeriodStart: period.Start, PeriodEnd: period.End,
			Aggregation: metric.Aggregation, Limit: limit.Limit, AllowOverage: limit.AllowOverage},
	})
	if err != nil {
		return QuotaStatus{}, fmt.Errorf("usage: %w", err)
	}
	m.quotaChanged(res.Quota, now)
	return status(metric, period, &res.Quota, Quantity{}, now), nil
}
