package usage

import (
	"slices"
	"time"

	"github.com/usagekit/usage/store"
)

// stepper lays out forecast steps: days in loc, or hours.
type stepper struct {
	step ForecastStep
	loc  *time.Location
}

// start returns the start of the step containing t.
func (s stepper) start(t time.Time) time.Time {
	if s.step == ForecastHourly {
		return t.Truncate(time.Hour)
	}
	local := t.In(s.loc)
	day := periodStart(local.Year(), local.Month(), local.Day(), s.loc)
	if day.After(t) {
		// A day whose midnight a clock change skipped starts late (see periodStart).
		local = local.AddDate(0, 0, -1)
		day = periodStart(local.Year(), local.Month(), local.Day(), s.loc)
	}
	return day
}

// next returns the start of the step after the one starting at t.
func (s stepper) next(t time.Time) time.Time {
	if s.step == ForecastHourly {
		return t.Add(time.Hour)
	}
	// Tomorrow's date is worked out in UTC, where every day exists: periodStart
	// clamps a day past the month's end to its last day, which would not advance.
	y, m, d := t.In(s.loc).Date()
	tomorrow := time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
	return periodStart(tomorrow.Year(), tomorrow.Month(), tomorrow.Day(), s.loc)
}

// nominal is the usual length of a step.
func (s stepper) nominal() time.Duration {
	if s.step == ForecastHourly {
		return time.Hour
	}
	return 24 * time.Hour
}

// series is usage folded into steps.
type series struct {
	// values has one value per step from the window's start to the current step,
	// which is excluded.
	values []float64
	// first is the index of the first step with usage, -1 when there is none.
	first int
	// current is the value of the current step so far.
	current float64
}

// fold folds hourly buckets into steps from from to cur, and the current step.
func fold(met Metric, steps stepper, from, cur time.Time, buckets []store.Bucket) series {
	var starts []time.Time
	for t := from; t.Before(cur); t = steps.next(t) {
		starts = append(starts, t)
	}
	n := len(starts)
	acc := make([]stepAcc, n+1) // the last one is the current step
	for _, b := range buckets {
		// The step whose start is the last at or before the bucket's.
		i, found := slices.BinarySearchFunc(starts, b.Start, func(s, t time.Time) int { return s.Compare(t) })
		if !found {
			i--
		}
		if !b.Start.Before(cur) {
			i = n
		}
		if i < 0 {
			continue
		}
		acc[i].add(b)
	}
	s := series{values: make([]float64, n), first: -1, current: acc[n].value(met)}
	level := gauge(met.Aggregation)
	for i := range n {
		switch {
		case acc[i].seen:
			s.values[i] = acc[i].value(met)
			if s.first < 0 {
				s.first = i
			}
		case level && i > 0:
			s.values[i] = s.values[i-1]
		}
	}
	return s
}

// stepAcc accumulates the hourly buckets of one step.
type stepAcc struct {
	seen                 bool
	total, count, lo, hi int64
	last                 int64 // the Max of the latest bucket
}

func (a *stepAcc) add(b store.Bucket) {
	if !a.seen {
		a.seen, a.lo, a.hi = true, b.Min, b.Max
	}
	a.total += b.Total
	a.count += b.Count
	a.lo, a.hi = min(a.lo, b.Min), max(a.hi, b.Max)
	a.last = b.Max // buckets come oldest first
}

// value is the step's value in metric units: usage for flows, a level for gauges.
func (a *stepAcc) value(met Metric) float64 {
	agg := met.Aggregation
	units := func(n int64) float64 { return met.quantity(n).Float64() }
	if !a.seen {
		return 0
	}
	switch agg {
	case AggregationCount:
		return float64(a.count)
	case AggregationMax:
		return units(a.hi)
	case AggregationMin:
		return units(a.lo)
	case AggregationAvg:
		return units(a.total) / float64(a.count)
	case AggregationLatest:
		return units(a.last)
	default:
		return units(a.total)
	}
}
