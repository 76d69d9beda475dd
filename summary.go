package usage

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"
)

// Summary is a subject's usage at a glance in its current billing period: the
// seed's GET /summary.
type Summary struct {
	Subject string
	// Plan is the key of the subject's plan, and Period its current billing period.
	Plan   string
	Period Period
	// Quotas has every metric's quota state and overage cost so far, by metric key.
	Quotas []QuotaSummary
	// OverageCost is what the period's usage beyond the included amounts costs so
	// far, exact: the sum of the quotas' costs. Adjustments of earlier periods,
	// which the period's invoice also carries, are left out.
	OverageCost Money
	// UnacknowledgedAlerts counts the subject's alerts not yet acknowledged, of
	// every period.
	UnacknowledgedAlerts int64
}

// QuotaSummary is one metric's quota state in a Summary.
type QuotaSummary struct {
	QuotaStatus
	// OverageCost is what the overage costs so far under the plan's price: the
	// draft invoice's line for the metric, rounded to cents.
	OverageCost Money
}

// Summary returns the subject's quotas in its current billing period, with the
// overage each costs so far as the period's invoice prices it (Meter.Invoice).
func (m *Meter) Summary(ctx context.Context, subject string) (*Summary, error) {
	quotas, err := m.Quotas(ctx, subject)
	if err != nil {
		return nil, err
	}
	inv, err := m.Invoice(ctx, subject, m.now())
	if err != nil {
		return nil, err
	}
	costs := map[string]Money{}
	for _, line := range inv.Lines {
		if !line.Adjustment {
			costs[line.Metric] = line.Amount
		}
	}
	s := &Summary{Subject: subject, Plan: inv.Plan, Period: inv.Period,
		OverageCost: Money{Amount: decimal.Zero, Currency: inv.Currency}}
	for _, q := range quotas {
		cost, ok := costs[q.Metric]
		if !ok {
			cost = Money{Amount: decimal.Zero, Currency: inv.Currency}
		}
		if cost.Currency != s.OverageCost.Currency {
			return nil, fmt.Errorf("usage: summary of %q: %s costs in %s, the invoice is in %s: bill a plan in one currency",
				subject, q.Metric, cost.Currency, s.OverageCost.Currency)
		}
		s.OverageCost.Amount = s.OverageCost.Amount.Add(cost.Amount)
		s.Quotas = append(s.Quotas, QuotaSummary{QuotaStatus: q, OverageCost: cost})
	}
	if s.UnacknowledgedAlerts, err = m.UnacknowledgedAlerts(ctx, subject); err != nil {
		return nil, err
	}
	return s, nil
}
