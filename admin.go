package usage

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/usagekit/usage/store"
)

// RankBy orders the subjects of TopSubjects.
type RankBy string

// The orders of TopSubjects.
const (
	// RankByUsage orders subjects by their usage of the metric, highest first.
	RankByUsage RankBy = "usage"
	// RankByOverageCost orders the subjects whose overage costs something by that
	// cost, highest first; subjects whose usage costs nothing are left out.
	RankByOverageCost RankBy = "overage_cost"
)

// SubjectsQuery asks for the subjects of an admin view of one metric.
type SubjectsQuery struct {
	// Metric is the key of one of the Config's metrics. Required.
	Metric string
	// At selects each subject's billing period that holds it. Defaults to now.
	At time.Time
	// Limit is the page size. Defaults to DefaultPageSize; at most MaxPageSize.
	Limit int
	// Cursor continues from the page whose NextCursor it is; empty starts at the
	// first page. A cursor belongs to the view and order that made it.
	Cursor string
}

// SubjectUsage is one subject's state in an admin view.
type SubjectUsage struct {
	// QuotaStatus is the subject's quota of the metric in its period.
	QuotaStatus
	// OverageCost is what the period's overage costs so far: the line of the
	// subject's invoice for the metric (Meter.Invoice).
	OverageCost Money
}

// SubjectPage is one page of an admin view.
type SubjectPage struct {
	Subjects []SubjectUsage
	// NextCursor continues with the next page; empty on the last.
	NextCursor string
}

// TopSubjects ranks the subjects with usage of a metric in their billing period
// that holds q.At, by usage or by overage cost, a page at a time: the seed's admin
// view of every subject's usage. Ranking by cost prices every subject over its
// limit, so it reads one invoice each of those.
func (m *Meter) TopSubjects(ctx context.Context, q SubjectsQuery, by RankBy) (*SubjectPage, error) {
	by = cmp.Or(by, RankByUsage)
	switch by {
	case RankByUsage:
		return m.subjectPage(ctx, q, true, "u")
	case RankByOverageCost:
		return m.topByCost(ctx, q)
	default:
		return nil, invalid("by", "%q: want usage or overage_cost", by)
	}
}

// MetricQuotas lists every subject's quota of a metric in its billing period that
// holds q.At, by subject, a page at a time: the seed's admin/metrics. Subjects
// without usage in that period have no quota yet and are not listed.
func (m *Meter) MetricQuotas(ctx context.Context, q SubjectsQuery) (*SubjectPage, error) {
	return m.subjectPage(ctx, q, false, "s")
}

// subjectPage lists a page of quota rows in the store's order, by usage or by
// subject; kind tags its cursors.
func (m *Meter) subjectPage(ctx context.Context, q SubjectsQuery, byUsage bool, kind string) (*SubjectPage, error) {
	met, err := m.checkSubjectsQuery(&q)
	if err != nil {
		return nil, err
	}
	params := &store.ListMetricQuotasParams{Metric: met.Key, At: q.At, ByUsage: byUsage, Limit: q.Limit + 1}
	if q.Cursor != "" {
		used, subject, err := parseCursor(kind, q.Cursor)
		if err != nil {
			return nil, err
		}
		n, _ := strconv.ParseInt(used, 10, 64)
		params.After = &store.QuotaCursor{Used: n, Subject: subject}
	}
	res, err := m.store.ListMetricQuotas(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("usage: subjects of %s: %w", met.Key, err)
	}
	page := &SubjectPage{}
	rows := res.Quotas
	if len(rows) > q.Limit {
		rows = rows[:q.Limit]
		last := rows[len(rows)-1]
		page.NextCursor = makeCursor(kind, strconv.FormatInt(last.Used, 10), last.Subject)
	}
	for _, row := range rows {
		su, err := m.subjectUsage(ctx, met, row, q.At)
		if err != nil {
			return nil, err
		}
		page.Subjects = append(page.Subjects, su)
	}
	return page, nil
}

// topByCost ranks the subjects over their limit by the cost of their overage.
func (m *Meter) topByCost(ctx context.Context, q SubjectsQuery) (*SubjectPage, error) {
	met, err := m.checkSubjectsQuery(&q)
	if err != nil {
		return nil, err
	}
	var after *SubjectUsage
	if q.Cursor != "" {
		amount, subject, err := parseCursor("c", q.Cursor)
		if err != nil {
			return nil, err
		}
		d, err := decimal.NewFromString(amount)
		if err != nil {
			return nil, invalid("cursor", "not a cursor of this view: pass a NextCursor as it was returned")
		}
		after = &SubjectUsage{QuotaStatus: QuotaStatus{Subject: subject}, OverageCost: Money{Amount: d}}
	}
	var ranked []SubjectUsage
	params := &store.ListMetricQuotasParams{Metric: met.Key, At: q.At, OverLimit: true}
	for {
		res, err := m.store.ListMetricQuotas(ctx, params)
		if err != nil {
			return nil, fmt.Errorf("usage: subjects of %s: %w", met.Key, err)
		}
		for _, row := range res.Quotas {
			su, err := m.subjectUsage(ctx, met, row, q.At)
			if err != nil {
				return nil, err
			}
			if su.OverageCost.Amount.IsPositive() {
				ranked = append(ranked, su)
			}
		}
		if len(res.Quotas) == 0 {
			break
		}
		last := res.Quotas[len(res.Quotas)-1]
		params.After = &store.QuotaCursor{Subject: last.Subject}
	}
	byCost := func(a, b SubjectUsage) int {
		return cmp.Or(b.OverageCost.Amount.Cmp(a.OverageCost.Amount), strings.Compare(a.Subject, b.Subject))
	}
	slices.SortFunc(ranked, byCost)
	if after != nil {
		i, _ := slices.BinarySearchFunc(ranked, *after, byCost)
		for i < len(ranked) && byCost(ranked[i], *after) <= 0 {
			i++
		}
		ranked = ranked[i:]
	}
	page := &SubjectPage{Subjects: ranked}
	if len(ranked) > q.Limit {
		page.Subjects = ranked[:q.Limit]
		last := page.Subjects[q.Limit-1]
		page.NextCursor = makeCursor("c", last.OverageCost.Amount.String(), last.Subject)
	}
	return page, nil
}

// subjectUsage is a quota row's state in an admin view, with the overage's cost
// from the subject's invoice when it is over its limit.
func (m *Meter) subjectUsage(ctx context.Context, met Metric, row store.Quota, at time.Time) (SubjectUsage, error) {
	r, err := m.resolve(ctx, "subjects", row.Subject, m.now())
	if err != nil {
		return SubjectUsage{}, err
	}
	period := Period{Start: row.PeriodStart.In(r.loc), End: row.PeriodEnd.In(r.loc)}
	su := SubjectUsage{QuotaStatus: status(met, period, &row, Quantity{}, at),
		OverageCost: Money{Amount: decimal.Zero, Currency: r.plan.currency()}}
	if row.Unlimited || row.Used <= row.Limit {
		return su, nil
	}
	inv, err := m.Invoice(ctx, row.Subject, at)
	if err != nil {
		return SubjectUsage{}, err
	}
	for _, line := range inv.Lines {
		if line.Metric == met.Key && !line.Adjustment {
			su.OverageCost = line.Amount
		}
	}
	return su, nil
}

// checkSubjectsQuery validates q, fills in its defaults and returns its metric.
func (m *Meter) checkSubjectsQuery(q *SubjectsQuery) (Metric, error) {
	if err := m.checkOpen(); err != nil {
		return Metric{}, err
	}
	met, err := m.cfg.metric(q.Metric)
	if err != nil {
		return Metric{}, err
	}
	if q.At.IsZero() {
		q.At = m.now()
	}
	q.Limit = cmp.Or(q.Limit, DefaultPageSize)
	if q.Limit < 1 || q.Limit > MaxPageSize {
		return Metric{}, invalid("limit", "%d: want 1 to %d, or 0 for %d", q.Limit, MaxPageSize, DefaultPageSize)
	}
	return met, nil
}

// makeCursor encodes a page's last position, tagged with the view's kind.
func makeCursor(kind, key, subject string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + "\x00" + key + "\x00" + subject))
}

// parseCursor decodes a cursor of the kind into its key and subject.
func parseCursor(kind, cursor string) (string, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	parts := strings.SplitN(string(b), "\x00", 3)
	if err != nil || len(parts) != 3 || parts[0] != kind {
		return "", "", invalid("cursor", "not a cursor of this view: pass a NextCursor as it was returned")
	}
	if _, err := strconv.ParseInt(parts[1], 10, 64); err != nil && kind != "c" {
		return "", "", invalid("cursor", "not a cursor of this view: pass a NextCursor as it was returned")
	}
	return parts[1], parts[2], nil
}
