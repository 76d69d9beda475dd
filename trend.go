package usage

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/usagekit/usage/store"
)

// DefaultMovingAverage is the number of steps a trend's moving average spans.
const DefaultMovingAverage = 7

// TrendQuery asks for the trend of one subject's metric over a period.
type TrendQuery struct {
	// Subject and Metric are required.
	Subject string
	Metric  string
	// From and To bound the period, [From, To). Both zero (the default) means the
	// subject's current billing period. The series and the total run to To or
	// now, whichever is earlier.
	From, To time.Time
	// Step is the step of the series: WindowDay (the default) or WindowHour.
	Step WindowSize
	// TimeZone places days and hours. Defaults to the subject's time zone.
	TimeZone *time.Location
	// MovingAverage is how many steps the moving average spans. Defaults to
	// DefaultMovingAverage.
	MovingAverage int
}

// TrendPoint is one step of a trend's series.
type TrendPoint struct {
	From, To time.Time
	// Value is the step's usage, aggregated as the metric aggregates.
	Value Quantity
	// MovingAverage is the mean of Value over this step and the ones before it,
	// up to TrendQuery.MovingAverage steps (fewer at the start of the series).
	MovingAverage float64
}

// Trend is the course of a subject's metric over a period, compared with the
// period before: the seed's trends and "peak usage times".
type Trend struct {
	Subject     string
	Metric      string
	Aggregation Aggregation
	// Period is the period asked for; Previous the one before it: the billing
	// period before, the same number of calendar months before when Period is whole
	// months (February before March, whatever their lengths), or else as long a
	// span right before.
	Period, Previous Period
	// Series has one point per step from Period.Start to To or now.
	Series []TrendPoint
	// Total is the usage of the period so far and PreviousTotal that of the whole
	// previous period, each aggregated over the period as a whole (a max is the
	// period's max, not a sum of maxima).
	Total, PreviousTotal Quantity
	// ChangePercent is the change from PreviousTotal to Total in percent; zero,
	// with HasChange false, when PreviousTotal is zero.
	ChangePercent float64
	HasChange     bool
	// Peak is the point of the series with the highest value (the first of equals);
	// zero for an empty series.
	Peak TrendPoint
	// HourOfWeek is the average usage of each hour of the week, by weekday
	// (time.Sunday first) and hour of the day in TimeZone, over the whole hours of
	// the series; PeakHour is the hour of the day with the highest average.
	HourOfWeek [7][24]float64
	PeakHour   int
}

// Trend returns the trend of a subject's metric, read from the hourly rollups as
// Usage reads them, in one query: the previous period's total and the period's
// hours, from which its total and days are folded. In a time
// zone whose offset is not a whole number of hours (Asia/Kolkata) local hours are
// not UTC hours, so the hour-of-week figures read the period's events. Bad input
// returns a *ValidationError naming the field.
func (m *Meter) Trend(ctx context.Context, q TrendQuery) (*Trend, error) {
	met, err := m.subjectMetric(q.Subject, q.Metric)
	if err != nil {
		return nil, err
	}
	q.Step = cmp.Or(q.Step, WindowDay)
	if q.Step != WindowDay && q.Step != WindowHour {
		return nil, invalid("step", "%q: want day or hour", q.Step)
	}
	q.MovingAverage = cmp.Or(q.MovingAverage, DefaultMovingAverage)
	if q.MovingAverage < 1 {
		return nil, invalid("moving_average", "%d: want a positive number of steps", q.MovingAverage)
	}
	if q.From.IsZero() != q.To.IsZero() {
		return nil, invalid("from", "give both From and To, or neither for the current billing period")
	}
	if err := checkSpan("to", q.From, q.To); err != nil {
		return nil, err
	}
	now := m.now()
	r, err := m.resolve(ctx, "trend", q.Subject, now)
	if err != nil {
		return nil, err
	}
	if q.TimeZone == nil {
		q.TimeZone = r.loc
	}
	period, previous := Period{Start: q.From, End: q.To}, Period{}
	if q.From.IsZero() {
		period = r.periodAt(now)
		previous = r.periodAt(period.Start.Add(-time.Microsecond))
	} else {
		previous = previousPeriod(period, q.TimeZone)
	}
	end := period.End
	if now.Before(end) {
		end = now
	}
	t := &Trend{Subject: q.Subject, Metric: met.Key, Aggregation: met.Aggregation,
		Period: period.in(q.TimeZone), Previous: previous.in(q.TimeZone)}
	hourly, series, err := m.trendUsage(ctx, met, q.Subject, t, end, q.Step, q.TimeZone)
	if err != nil {
		return nil, err
	}
	if !end.After(period.Start) {
		return t, nil
	}
	t.Series = series
	movingAverage(t.Series, q.MovingAverage)
	for _, p := range t.Series {
		if p.Value.Float64() > t.Peak.Value.Float64() || t.Peak.To.IsZero() {
			t.Peak = p
		}
	}
	t.HourOfWeek, t.PeakHour = hourOfWeek(hourly, q.TimeZone)
	return t, nil
}

// in returns p with its bounds shown in loc.
func (p Period) in(loc *time.Location) Period {
	return Period{Start: p.Start.In(loc), End: p.End.In(loc)}
}

// previousPeriod is the period before p: as many calendar months before when p is
// whole months in loc, else as long a span right before.
func previousPeriod(p Period, loc *time.Location) Period {
	start := p.Start.In(loc)
	y, mo, d := start.Date()
	if start.Equal(dayStart(y, mo, d, loc)) {
		for months := 1; months <= 120; months++ {
			end := periodStart(y, mo+time.Month(months), d, loc)
			if end.After(p.End) {
				break
			}
			if end.Equal(p.End) {
				return Period{Start: periodStart(y, mo-time.Month(months), d, loc), End: p.Start}
			}
		}
	}
	return Period{Start: p.Start.Add(-p.End.Sub(p.Start)), End: p.Start}
}

// trendUsage sets t's totals and change, and returns the metric's usage over the
// period up to end by hour, and by step. One store query reads the previous
// period's total and the period's hours: their sum is the period's total so far, and
// days are folded from them (a day's local hours lie within it, and the hours'
// totals, counts, extremes and latest events make the day's exactly). unique_count,
// whose distinct values do not add up, reads its total and days as windows of
// their own.
func (m *Meter) trendUsage(ctx context.Context, met Metric, subject string, t *Trend, end time.Time, step WindowSize, loc *time.Location) (hourly, steps []TrendPoint, err error) {
	from := t.Period.Start
	distinct := met.Aggregation == AggregationUniqueCount
	windows := []store.UsageWindow{{Start: t.Previous.Start.UTC(), End: t.Previous.End.UTC()}}
	var hours []store.UsageWindow
	if end.After(from) {
		if hours, err = usageWindows(from, end, WindowHour, loc); err != nil {
			return nil, nil, err
		}
		if distinct {
			windows = append(windows, store.UsageWindow{Start: from.UTC(), End: end.UTC()})
		}
	}
	first := len(windows)
	windows = append(windows, hours...)
	q := &UsageQuery{Metric: met.Key, Subject: subject, TimeZone: loc}
	res, err := m.store.QueryUsage(ctx, usageParams(met, q, windows))
	if err != nil {
		return nil, nil, fmt.Errorf("usage: trend: %w", err)
	}
	rows := make([]*store.UsageRow, len(windows))
	for i := range res.Rows {
		rows[res.Rows[i].Window] = &res.Rows[i]
	}
	value := func(r *store.UsageRow) Quantity {
		if r == nil {
			return met.quantity(0)
		}
		return met.aggregate(*r)
	}
	var current *store.UsageRow
	if distinct {
		if first > 1 {
			current = rows[1]
		}
	} else {
		for _, r := range rows[first:] {
			current = mergeRows(current, r)
		}
	}
	t.Total, t.PreviousTotal = value(current), value(rows[0])
	if prev := t.PreviousTotal.Float64(); prev != 0 {
		t.ChangePercent = (t.Total.Float64() - prev) / prev * 100
		t.HasChange = true
	}
	if len(hours) == 0 {
		return nil, nil, nil
	}
	hourly = make([]TrendPoint, len(hours))
	for i, h := range hours {
		hourly[i] = TrendPoint{From: h.Start.In(loc), To: h.End.In(loc), Value: value(rows[first+i])}
	}
	if step == WindowHour {
		return hourly, hourly, nil
	}
	days, err := usageWindows(from, end, WindowDay, loc)
	if err != nil {
		return nil, nil, err
	}
	if distinct {
		byDay, err := m.usage(ctx, met, q, days)
		if err != nil {
			return nil, nil, fmt.Errorf("usage: trend: %w", err)
		}
		for _, v := range byDay.Values {
			steps = append(steps, TrendPoint{From: v.From, To: v.To, Value: v.Value})
		}
		return hourly, steps, nil
	}
	h := 0
	for _, d := range days {
		var day *store.UsageRow
		for ; h < len(hours) && hours[h].Start.Before(d.End); h++ {
			day = mergeRows(day, rows[first+h])
		}
		p := TrendPoint{From: d.Start.In(loc), To: d.End.In(loc), Value: met.quantity(0)}
		if day != nil {
			p.Value = met.aggregate(*day)
		}
		steps = append(steps, p)
	}
	return hourly, steps, nil
}

// mergeRows returns the aggregate of the events of two rows of disjoint, ascending
// times; either may be nil (no events).
func mergeRows(a, b *store.UsageRow) *store.UsageRow {
	if a == nil || b == nil {
		if a == nil {
			return b
		}
		return a
	}
	out := *a
	out.Total += b.Total
	out.Count += b.Count
	out.Min, out.Max = min(out.Min, b.Min), max(out.Max, b.Max)
	if !b.LastAt.Before(out.LastAt) {
		out.Last, out.LastAt = b.Last, b.LastAt
	}
	return &out
}

// movingAverage sets each point's moving average over n steps.
func movingAverage(points []TrendPoint, n int) {
	sum := 0.0
	for i := range points {
		sum += points[i].Value.Float64()
		if i >= n {
			sum -= points[i-n].Value.Float64()
		}
		points[i].MovingAverage = sum / float64(min(i+1, n))
	}
}

// hourOfWeek averages the whole hours of an hourly series by weekday and hour of
// the day in loc, and returns the hour of the day with the highest average.
func hourOfWeek(hourly []TrendPoint, loc *time.Location) ([7][24]float64, int) {
	var sums, counts [7][24]float64
	var daySums, dayCounts [24]float64
	for _, p := range hourly {
		if p.To.Sub(p.From) != time.Hour {
			continue // a part of an hour at the series' ends
		}
		l := p.From.In(loc)
		v := p.Value.Float64()
		sums[l.Weekday()][l.Hour()] += v
		counts[l.Weekday()][l.Hour()]++
		daySums[l.Hour()] += v
		dayCounts[l.Hour()]++
	}
	var avg [7][24]float64
	for d := range avg {
		for h := range avg[d] {
			if counts[d][h] > 0 {
				avg[d][h] = sums[d][h] / counts[d][h]
			}
		}
	}
	peak, best := 0, -1.0
	for h := range daySums {
		if dayCounts[h] == 0 {
			continue
		}
		if a := daySums[h] / dayCounts[h]; a > best {
			peak, best = h, a
		}
	}
	return avg, peak
}
