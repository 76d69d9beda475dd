package usage

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/shopspring/decimal"

	"github.com/usagekit/usage/report"
	"github.com/usagekit/usage/store"
)

// detailedReport yields, subject by subject and metric by metric, the days of the
// range; nothing is read before the report is written.
func (m *Meter) detailedReport(ctx context.Context, req ReportRequest, head report.Header, subjects []string) *report.Detailed {
	return &report.Detailed{Header: head, Series: func(yield func(report.Series, error) bool) {
		for _, subject := range subjects {
			for s, err := range m.subjectSeries(ctx, req, subject) {
				if !yield(s, err) || err != nil {
					return
				}
			}
		}
	}}
}

// subjectSeries yields the daily series of each metric of the subject's plan.
func (m *Meter) subjectSeries(ctx context.Context, req ReportRequest, subject string) iter.Seq2[report.Series, error] {
	return func(yield func(report.Series, error) bool) {
		r, err := m.subjectRange(ctx, req, subject)
		if err != nil {
			yield(report.Series{}, err)
			return
		}
		for _, l := range r.invoice.Lines {
			if l.Adjustment || l.Aggregation == AggregationUniqueCount {
				continue
			}
			s, err := m.dailySeries(ctx, r, l)
			if !yield(s, err) || err != nil {
				return
			}
		}
	}
}

// dailySeries folds the hourly rollups of one metric into days in the subject's
// time zone, over the range up to today and as many days before it (the previous
// period).
func (m *Meter) dailySeries(ctx context.Context, r reportRange, l LineItem) (report.Series, error) {
	subject := r.invoice.Subject
	// Days still to come are left out, so that they do not read as days without
	// usage, nor drag the trend down.
	to, partial := r.to, false
	if now := m.now(); now.Before(to) {
		to, partial = now, true
	}
	days := daysOf(r.from, to, r.loc)
	prevFrom := r.from.AddDate(0, 0, -len(days))
	res, err := m.store.Series(ctx, &store.SeriesParams{Subject: subject, Metric: l.Metric, From: prevFrom, To: to})
	if err != nil {
		return report.Series{}, fmt.Errorf("usage: report of %q %s: %w", subject, l.Metric, err)
	}
	s := report.Series{Subject: subject, Metric: l.Metric, Unit: l.Unit, TimeZone: r.loc.String(),
		Trend: report.TrendFlat}
	agg := l.Aggregation
	var prev, peakHour dayFold
	folds := make([]dayFold, len(days))
	i := 0
	for _, b := range res.Buckets {
		if b.Start.Before(r.from) {
			prev.add(b)
			continue
		}
		for i+1 < len(days) && !b.Start.Before(days[i+1]) {
			i++
		}
		folds[i].add(b)
		// The hour of most usage, by the metric's own measure of one hour.
		var hour dayFold
		hour.add(b)
		if peakHour.n == 0 || hour.value(agg).GreaterThan(peakHour.value(agg)) {
			peakHour = hour
			s.PeakHour = b.Start
		}
	}
	s.PreviousTotal = prev.value(agg)
	// Each billing period has its own limit and restarts the period-to-date figure.
	period, limit := r.invoice.Period, l
	var toDate dayFold
	values := make([]float64, len(days))
	var all dayFold
	var peak decimal.Decimal
	for j, day := range days {
		if !day.Before(period.End) {
			inv, err := m.Invoice(ctx, subject, day)
			if err != nil {
				return report.Series{}, err
			}
			period, toDate = inv.Period, dayFold{}
			for _, x := range inv.Lines {
				if x.Metric == l.Metric && !x.Adjustment {
					limit = x
				}
			}
		}
		toDate.merge(folds[j])
		all.merge(folds[j])
		v := folds[j].value(agg)
		values[j] = v.InexactFloat64()
		s.Days = append(s.Days, report.Day{Date: day, Usage: v, Cumulative: toDate.value(agg),
			Limit: limit.Included.Decimal(), Unlimited: limit.Unlimited})
		if folds[j].n > 0 && (s.PeakDay.IsZero() || v.GreaterThan(peak)) {
			s.PeakDay, peak = day, v
		}
	}
	s.Total = all.value(agg)
	// Today is not over: its usage so far would read as a drop.
	if partial && len(values) > 1 {
		values = values[:len(values)-1]
	}
	s.Trend = report.TrendOf(values)
	return s, nil
}

// daysOf returns the midnights of the days in [from, to) in loc.
func daysOf(from, to time.Time, loc *time.Location) []time.Time {
	var out []time.Time
	f := from.In(loc)
	for d := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, loc); d.Before(to); d = d.AddDate(0, 0, 1) {
		out = append(out, d)
	}
	return out
}

// dayFold accumulates hourly rollups.
type dayFold struct {
	total, count, min, max int64
	n                      int
}

func (f *dayFold) add(b store.Bucket) {
	f.merge(dayFold{total: b.Total, count: b.Count, min: b.Min, max: b.Max, n: 1})
}

func (f *dayFold) merge(o dayFold) {
	if o.n == 0 {
		return
	}
	if f.n == 0 {
		*f = o
		return
	}
	f.total += o.total
	f.count += o.count
	f.min = min(f.min, o.min)
	f.max = max(f.max, o.max)
	f.n += o.n
}

// value is the fold under the metric's aggregation: the sum, the count, the
// extremes, or the mean. latest is shown as the highest value, since the rollups
// keep no last value. An empty fold is zero.
func (f *dayFold) value(agg Aggregation) decimal.Decimal {
	if f.n == 0 {
		return decimal.Zero
	}
	switch agg {
	case AggregationCount:
		return decimal.NewFromInt(f.count)
	case AggregationMax, AggregationLatest:
		return QuantityFromMicros(f.max).Decimal()
	case AggregationMin:
		return QuantityFromMicros(f.min).Decimal()
	case AggregationAvg:
		if f.count == 0 {
			return decimal.Zero
		}
		return QuantityFromMicros(f.total).Decimal().Div(decimal.NewFromInt(f.count))
	default:
		return QuantityFromMicros(f.total).Decimal()
	}
}
