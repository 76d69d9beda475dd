package usage

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/usagekit/usage/store"
)

// Invoice is a subject's bill for one billing period: a line item per metric of the
// plan, adjustments for earlier periods, and the total. Amounts are exact: each line
// item's amount is rounded to cents once (RoundCents), and the total is the sum of
// the line items' amounts.
//
// The plan in force at the end of the period bills the whole period: its included
// amounts and prices apply to the period's usage, also when the subject changed plan
// within it. Units granted for the period (Meter.Grant, Meter.ResetQuota) add to the
// included amount.
type Invoice struct {
	// ID identifies the invoice: subject and period start, as in
	// "acme/2026-03-01T00:00:00Z". A BillingSink can use it as an idempotency key.
	ID      string
	Subject string
	// Plan is the key of the plan that bills the period.
	Plan string
	// Period is the billing period, in the subject's time zone.
	Period Period
	// Currency is the currency of every amount of the invoice.
	Currency string
	// Lines are the period's line items, by metric key, then the adjustments, oldest
	// period first.
	Lines []LineItem
	// Total is the sum of the lines' amounts.
	Total Money
	// Closed is true for an invoice delivered to a BillingSink: it no longer changes.
	// A draft (false) shows the bill as it would be closed now.
	Closed bool
	// ClosedAt is when the invoice was closed; zero for a draft.
	ClosedAt time.Time
}

// LineItem is what one metric costs in one period.
type LineItem struct {
	Metric string
	// Unit is the metric's unit, for people.
	Unit string
	// Aggregation is how the period's events make up Used.
	Aggregation Aggregation
	// Period is the period of the usage: the invoice's own, or an earlier one for an
	// adjustment.
	Period Period
	// Adjustment marks a line for an earlier, already billed period whose usage
	// changed since (a correction, a late event, a grant): Included, Used, Over are
	// the period's figures now, and Amount is what its bills have not charged yet
	// (negative for a credit).
	Adjustment bool
	// Unlimited means the plan sets no limit: nothing is billed.
	Unlimited bool
	// Included is the plan's included amount plus the units granted for the period.
	Included Quantity
	// Used is the period's usage under the metric's aggregation.
	Used Quantity
	// Over is Used minus Included, never negative.
	Over Quantity
	// Price is what the plan charges for Over.
	Price Price
	// Amount is Price.Charge(Over) rounded to cents, half up; for an adjustment, the
	// difference to what was billed.
	Amount Money
}

// Invoice returns the subject's invoice for the billing period that contains at
// (zero: now): the closed invoice as it was delivered if the period was billed,
// otherwise a draft computed from the usage so far.
func (m *Meter) Invoice(ctx context.Context, subject string, at time.Time) (Invoice, error) {
	if err := m.forSubject(subject); err != nil {
		return Invoice{}, err
	}
	now := m.now()
	if at.IsZero() {
		at = now
	}
	r, err := m.resolve(ctx, "invoice", subject, now)
	if err != nil {
		return Invoice{}, err
	}
	period := r.periodAt(at)
	res, err := m.store.GetBill(ctx, &store.GetBillParams{Period: store.BillPeriod{
		Subject: subject, PeriodStart: period.Start, PeriodEnd: period.End}})
	if err != nil {
		return Invoice{}, fmt.Errorf("usage: invoice of %q: %w", subject, err)
	}
	if closed := res.Data.Closed; closed != nil {
		var inv Invoice
		if err := json.Unmarshal(closed.Document, &inv); err != nil {
			return Invoice{}, fmt.Errorf("usage: invoice of %q: read closed invoice: %w", subject, err)
		}
		return inv, nil
	}
	inv, _, err := m.buildInvoice(subject, r, &res.Data)
	return inv, err
}

// buildInvoice makes the invoice of data's period, and the lines to record when it
// is closed.
func (m *Meter) buildInvoice(subject string, r *resolved, data *store.BillData) (Invoice, []store.BillLine, error) {
	own := data.Usage
	plan := m.planOf(own.Plan, r)
	inv := Invoice{
		ID: invoiceID(subject, own.PeriodStart), Subject: subject, Plan: plan.Key,
		Period:   Period{Start: own.PeriodStart.In(r.loc), End: own.PeriodEnd.In(r.loc)},
		Currency: plan.currency(),
	}
	var lines []store.BillLine
	for _, key := range m.billedMetrics(plan, own.Quotas) {
		item, err := m.lineItem(plan, key, own, r.loc)
		if err != nil {
			return Invoice{}, nil, err
		}
		inv.Lines = append(inv.Lines, item)
		lines = append(lines, store.BillLine{Metric: key, UsagePeriodStart: own.PeriodStart,
			Used: m.storedUsed(item), Amount: item.Amount.Amount.String(), Currency: item.Amount.Currency})
	}
	for _, earlier := range data.Earlier {
		plan := m.planOf(earlier.Plan, r)
		for _, key := range m.billedMetrics(plan, earlier.Quotas) {
			item, err := m.lineItem(plan, key, earlier, r.loc)
			if err != nil {
				return Invoice{}, nil, err
			}
			used, amount, err := billed(earlier.Billed, key)
			if err != nil {
				return Invoice{}, nil, fmt.Errorf("usage: invoice of %q: %w", subject, err)
			}
			diff := item.Amount.Amount.Sub(amount)
			if diff.IsZero() && m.storedUsed(item) == used {
				continue
			}
			item.Adjustment = true
			item.Amount.Amount = diff
			inv.Lines = append(inv.Lines, item)
			lines = append(lines, store.BillLine{Metric: key, UsagePeriodStart: earlier.PeriodStart,
				Used: m.storedUsed(item) - used, Amount: diff.String(), Currency: item.Amount.Currency})
		}
	}
	total := decimal.Zero
	for _, item := range inv.Lines {
		if item.Amount.Currency != inv.Currency {
			return Invoice{}, nil, fmt.Errorf("usage: invoice of %q: %s line in %s, invoice in %s: bill every plan in one currency",
				subject, item.Metric, item.Amount.Currency, inv.Currency)
		}
		total = total.Add(item.Amount.Amount)
	}
	inv.Total = Money{Amount: total, Currency: inv.Currency}
	return inv, lines, nil
}

// lineItem prices one metric of one period under plan.
func (m *Meter) lineItem(plan Plan, key string, u store.PeriodUsage, loc *time.Location) (LineItem, error) {
	metric := m.cfg.metrics[key]
	limit := plan.limitFor(key)
	item := LineItem{
		Metric: key, Unit: metric.Unit, Aggregation: metric.Aggregation,
		Period:    Period{Start: u.PeriodStart.In(loc), End: u.PeriodEnd.In(loc)},
		Unlimited: limit.Unlimited, Price: limit.Price,
	}
	var used int64
	if i := slices.IndexFunc(u.Quotas, func(q store.Quota) bool { return q.Metric == key }); i >= 0 {
		used = u.Quotas[i].Used
		item.Aggregation = u.Quotas[i].Aggregation
	}
	item.Used = metric.quantity(used)
	if !limit.Unlimited {
		included := m.cfg.limits[plan.Key][key].Limit + u.Granted[key]
		item.Included = metric.quantity(included)
		item.Over = metric.quantity(max(used-included, 0))
	}
	charge, err := limit.Price.Charge(item.Over)
	if err != nil {
		return LineItem{}, fmt.Errorf("usage: plan %s: metric %s: %w", plan.Key, key, err)
	}
	item.Amount = Money{Amount: RoundCents(charge.Amount), Currency: plan.currency()}
	return item, nil
}

// storedUsed is a line's Used as the store keeps it, at its metric's scale.
func (m *Meter) storedUsed(item LineItem) int64 {
	n, _ := item.Used.at(m.cfg.metrics[item.Metric].scale())
	return n
}

// billedMetrics are the metrics an invoice has a line for: those the plan limits and
// those with usage, in key order. Metrics no longer configured are left out.
func (m *Meter) billedMetrics(plan Plan, quotas []store.Quota) []string {
	var keys []string
	for k := range plan.Limits {
		keys = append(keys, k)
	}
	for _, q := range quotas {
		if _, ok := m.cfg.metrics[q.Metric]; ok && !slices.Contains(keys, q.Metric) {
			keys = append(keys, q.Metric)
		}
	}
	slices.Sort(keys)
	return keys
}

// planOf returns the plan named key, or the subject's current plan when key is
// empty or no longer configured.
func (m *Meter) planOf(key string, r *resolved) Plan {
	if p, ok := m.cfg.plans[key]; ok {
		return p
	}
	return r.plan
}

// billed sums the usage and amounts already billed for one metric.
func billed(lines []store.BillLine, metric string) (int64, decimal.Decimal, error) {
	var used int64
	amount := decimal.Zero
	for _, l := range lines {
		if l.Metric != metric {
			continue
		}
		a, err := decimal.NewFromString(l.Amount)
		if err != nil {
			return 0, amount, fmt.Errorf("billed amount %q of %s: %w", l.Amount, metric, err)
		}
		used += l.Used
		amount = amount.Add(a)
	}
	return used, amount, nil
}

func invoiceID(subject string, periodStart time.Time) string {
	return subject + "/" + periodStart.UTC().Format(time.RFC3339)
}
