package usage

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/usagekit/usage/store"
)

// WindowSize is the length of the windows a usage query aggregates over.
type WindowSize string

// The window sizes. Days and months follow the query's time zone: a day is 23 or
// 25 hours long when its clock changes.
const (
	WindowHour  WindowSize = "hour"
	WindowDay   WindowSize = "day"
	WindowMonth WindowSize = "month"
)

func (w WindowSize) valid() bool { return w == WindowHour || w == WindowDay || w == WindowMonth }

// MaxUsageWindows is the most windows one usage query answers: a year of hours.
const MaxUsageWindows = 366 * 24

// UsageQuery asks for a metric's usage over time.
type UsageQuery struct {
	// Metric is the key of one of the Config's metrics. Required.
	Metric string
	// Subject selects one subject; empty means all subjects together (for
	// unique_count, the sum of each subject's distinct values).
	Subject string
	// From and To bound the query to [From, To), to the microsecond. Required.
	From, To time.Time
	// Window is the size of the windows. Defaults to WindowDay.
	Window WindowSize
	// TimeZone places the windows' bounds: midnight for days, the 1st for months,
	// whole hours for hours (half hours in Asia/Kolkata). Defaults to UTC.
	TimeZone *time.Location
	// GroupBy lists dimensions the metric declares (Metric.Dimensions) to group by.
	GroupBy []string
	// Filters keeps only the events whose value of each named declared dimension is
	// one of those listed. Values past the metric's bound are OtherDimensionValue.
	Filters map[string][]string
}

// UsageValue is a metric's usage in one window, of one group of dimension values
// when the query groups.
type UsageValue struct {
	// From and To bound the window, [From, To), in the query's time zone; the first
	// and last windows are cut to the query's From and To.
	From, To time.Time
	// Group holds the value of each GroupBy dimension; nil without GroupBy.
	Group map[string]string
	// Value aggregates the window's events as the metric aggregates them: exact,
	// zero for a window without events. An average is truncated to the metric's
	// precision, as the quota's is.
	Value Quantity
	// Events is the number of events; for unique_count, of distinct values.
	Events int64
}

// UsageResult is the answer to a usage query.
type UsageResult struct {
	Metric      string
	Aggregation Aggregation
	// Values are ordered by window, then group. Without GroupBy every window has a
	// value (zero when it had no events); with it, only the groups with events do.
	Values []UsageValue
}

// Usage answers a usage query from the hourly rollups the store keeps as events
// are committed, not by reading events, so a month of days for one subject reads
// at most 744 rows. The exceptions, which read the events they need: a time zone
// whose offset is not a whole number of hours reads the part-hours at the windows'
// bounds, and unique_count reads every event of the range. Results are exact.
// Bad input returns a *ValidationError naming the field.
func (m *Meter) Usage(ctx context.Context, q UsageQuery) (*UsageResult, error) {
	if err := m.checkOpen(); err != nil {
		return nil, err
	}
	met, windows, err := m.checkUsageQuery(&q)
	if err != nil {
		return nil, err
	}
	return m.usage(ctx, met, &q, windows)
}

// usage runs the checked query q over windows.
func (m *Meter) usage(ctx context.Context, met Metric, q *UsageQuery, windows []store.UsageWindow) (*UsageResult, error) {
	res, err := m.store.QueryUsage(ctx, usageParams(met, q, windows))
	if err != nil {
		return nil, fmt.Errorf("usage: usage: %w", err)
	}
	out := &UsageResult{Metric: met.Key, Aggregation: met.Aggregation}
	rows := res.Rows
	for i, w := range windows {
		from, to := w.Start.In(q.TimeZone), w.End.In(q.TimeZone)
		n := 0
		for n < len(rows) && rows[n].Window == i {
			n++
		}
		if n == 0 && len(q.GroupBy) == 0 {
			out.Values = append(out.Values, UsageValue{From: from, To: to, Value: met.quantity(0)})
		}
		for _, r := range rows[:n] {
			out.Values = append(out.Values, UsageValue{From: from, To: to, Group: r.Group,
				Value: met.aggregate(r), Events: r.Count})
		}
		rows = rows[n:]
	}
	return out, nil
}

// usageParams is the store query of q over windows.
func usageParams(met Metric, q *UsageQuery, windows []store.UsageWindow) *store.UsageQueryParams {
	return &store.UsageQueryParams{
		Metric: q.Metric, Subject: q.Subject, Windows: windows, Dimensions: met.Dimensions,
		GroupBy: q.GroupBy, Filters: q.Filters,
		CountDistinct: met.Aggregation == AggregationUniqueCount, DistinctProperty: met.DistinctProperty,
		Latest: met.Aggregation == AggregationLatest,
	}
}

// aggregate is a row's value as the metric aggregates.
func (m Metric) aggregate(r store.UsageRow) Quantity {
	switch m.Aggregation {
	case AggregationCount, AggregationUniqueCount:
		return m.quantity(r.Count * store.MicrosPerUnit)
	case AggregationMax:
		return m.quantity(r.Max)
	case AggregationMin:
		return m.quantity(r.Min)
	case AggregationAvg:
		return m.quantity(r.Total / r.Count)
	case AggregationLatest:
		return m.quantity(r.Last)
	default:
		return m.quantity(r.Total)
	}
}

// checkUsageQuery validates q, fills in its defaults and returns its metric and
// windows.
func (m *Meter) checkUsageQuery(q *UsageQuery) (Metric, []store.UsageWindow, error) {
	met, err := m.cfg.metric(q.Metric)
	if err != nil {
		return Metric{}, nil, err
	}
	if err := checkName("subject", q.Subject, false); err != nil {
		return Metric{}, nil, err
	}
	if q.From.IsZero() || q.To.IsZero() {
		return Metric{}, nil, invalid("from", "From and To are required: the query covers [From, To)")
	}
	// Stores keep microseconds: bounds finer than that would split one.
	q.From, q.To = q.From.Truncate(time.Microsecond), q.To.Truncate(time.Microsecond)
	if err := checkSpan("to", q.From, q.To); err != nil {
		return Metric{}, nil, err
	}
	q.Window = cmp.Or(q.Window, WindowDay)
	if !q.Window.valid() {
		return Metric{}, nil, invalid("window", "%q: want hour, day or month", q.Window)
	}
	if q.TimeZone == nil {
		q.TimeZone = time.UTC
	}
	for i, d := range q.GroupBy {
		if !met.declares(d) {
			return Metric{}, nil, invalid("group_by", "metric %s does not declare dimension %q: add it to Metric.Dimensions", met.Key, truncate(d))
		}
		if slices.Contains(q.GroupBy[:i], d) {
			return Metric{}, nil, invalid("group_by", "dimension %q listed twice", d)
		}
	}
	for d := range q.Filters {
		if !met.declares(d) {
			return Metric{}, nil, invalid("filters", "metric %s does not declare dimension %q: add it to Metric.Dimensions", met.Key, truncate(d))
		}
	}
	windows, err := usageWindows(q.From, q.To, q.Window, q.TimeZone)
	if err != nil {
		return Metric{}, nil, err
	}
	return met, windows, nil
}

// usageWindows cuts [from, to) into windows of size aligned in loc.
func usageWindows(from, to time.Time, size WindowSize, loc *time.Location) ([]store.UsageWindow, error) {
	var out []store.UsageWindow
	for start := from; start.Before(to); {
		end := nextWindow(start, size, loc)
		if end.After(to) {
			end = to
		}
		out = append(out, store.UsageWindow{Start: start.UTC(), End: end.UTC()})
		if len(out) > MaxUsageWindows {
			return nil, invalid("window", "more than %d windows of a %s between from and to: use a larger window or a shorter range", MaxUsageWindows, size)
		}
		start = end
	}
	return out, nil
}

// nextWindow returns the start of the window after the one containing t.
func nextWindow(t time.Time, size WindowSize, loc *time.Location) time.Time {
	local := t.In(loc)
	switch size {
	case WindowHour:
		// The hour's start in loc is the last instant whose local minutes and
		// seconds are zero; offsets of half hours shift it off UTC's hours.
		_, offset := local.Zone()
		shifted := t.Add(time.Duration(offset) * time.Second).Truncate(time.Hour)
		next := shifted.Add(time.Hour).Add(-time.Duration(offset) * time.Second)
		if !next.After(t) {
			next = next.Add(time.Hour)
		}
		return next
	case WindowMonth:
		y, mo, _ := local.Date()
		return periodStart(y, mo+1, 1, loc)
	default:
		y, mo, d := local.Date()
		return dayStart(y, mo, d+1, loc)
	}
}

// dayStart is midnight in loc on the given day, or the instant the clock changes
// when it skips that midnight. time.Date normalises d past the month's end.
func dayStart(y int, m time.Month, d int, loc *time.Location) time.Time {
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	start := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
	if start.Day() != day.Day() {
		_, start = start.ZoneBounds()
	}
	return start
}
