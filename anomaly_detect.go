package usage

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/usagekit/usage/anomaly"
	"github.com/usagekit/usage/store"
)

// DetectOptions tune DetectAnomalies and DetectAllAnomalies. The zero value uses
// the defaults.
type DetectOptions struct {
	// Lookback is how much hourly history is scored, ending at the start of the
	// current hour (the current hour is not complete yet). With the default
	// ensemble configuration the first five days or so of it are learnt from before
	// an alarm can be raised (single weekend hours from the second weekend); run
	// detection more often than the lookback. Defaults to DefaultAnomalyLookback; at most MaxAnomalyLookback.
	Lookback time.Duration
	// Ensemble tunes the detectors. The zero value means
	// anomaly.UsageEnsembleConfig(); any other value is used as it is (start from
	// UsageEnsembleConfig to change one setting). Its Location is replaced by the
	// subject's time zone.
	Ensemble anomaly.EnsembleConfig
	// SkipEvents turns the event checks (bursts, bot-like regularity) off.
	// Regularity is judged on event times only, so a subject whose events were
	// already regular on an earlier day (a client reporting on a timer) has no
	// regular day flagged; the events of up to AnomalyHabitWindow before the event
	// window are read to tell.
	SkipEvents bool
	// EventWindow is how far back, from the start of the current hour, events are
	// checked for bursts and regularity. Defaults to DefaultAnomalyEventWindow; at
	// most Lookback.
	EventWindow time.Duration
	// MaxEvents bounds the events read for the event checks: the latest MaxEvents of
	// the window. Defaults to DefaultAnomalyMaxEvents.
	MaxEvents int
	// Events tunes the event checks.
	Events anomaly.EventConfig
}

func (o DetectOptions) withDefaults() (DetectOptions, error) {
	o.Lookback = cmp.Or(o.Lookback, DefaultAnomalyLookback)
	if o.Lookback < time.Hour || o.Lookback > MaxAnomalyLookback {
		return o, invalid("lookback", "%v: want from one hour to %v", o.Lookback, MaxAnomalyLookback)
	}
	o.EventWindow = min(cmp.Or(o.EventWindow, DefaultAnomalyEventWindow), o.Lookback)
	o.MaxEvents = cmp.Or(o.MaxEvents, DefaultAnomalyMaxEvents)
	if o.EventWindow < 0 || o.MaxEvents < 0 {
		return o, invalid("event_window", "EventWindow and MaxEvents must not be negative")
	}
	if loc := o.Ensemble.Location; (o.Ensemble == anomaly.EnsembleConfig{Location: loc}) {
		o.Ensemble = anomaly.UsageEnsembleConfig()
	}
	o.Ensemble.Quiet = cmp.Or(o.Ensemble.Quiet, anomaly.DefaultQuiet)
	o.Events = o.Events.WithDefaults()
	return o, nil
}

// DetectAnomalies scores the hourly usage of subject's metric over the lookback
// window and stores an open anomaly record for each incident it finds. It returns the
// records it stored: those not stored by an earlier run.
//
// What runs:
//   - anomaly.Ensemble, causally, over the hourly series in the subject's time zone
//     from its first hour with usage (later hours without events are zero; for
//     gauges — max, min, avg, latest — the level of the hour before), one record per
//     alarm (AnomalyMethodEnsemble). An alarm
//     within the ensemble's quiet period (EnsembleConfig.Quiet hours) of one already
//     stored is taken for the same incident and not stored again.
//   - Unless SkipEvents, anomaly.CheckEvents over the latest events of the event
//     window, per day in the subject's time zone: bursts (AnomalyMethodBurst) and
//     bot-like regular days (AnomalyMethodRegularity).
//
// Records are keyed by subject, metric, time and method, so running detection again
// over an overlapping window stores nothing twice. The work is bounded: at most
// MaxAnomalyLookback of hours and MaxEvents events per call.
func (m *Meter) DetectAnomalies(ctx context.Context, subject, metric string, opts DetectOptions) ([]Anomaly, error) {
	met, err := m.subjectMetric(subject, metric)
	if err != nil {
		return nil, err
	}
	opts, err = opts.withDefaults()
	if err != nil {
		return nil, err
	}
	now := m.now()
	r, err := m.resolve(ctx, "detect anomalies", subject, now)
	if err != nil {
		return nil, err
	}
	d := detection{m: m, subject: subject, metric: met, loc: r.loc, opts: opts, now: now,
		end: now.Truncate(time.Hour)}
	found, err := d.series(ctx)
	if err != nil {
		return nil, fmt.Errorf("usage: detect anomalies of %q %s: %w", subject, metric, err)
	}
	if !opts.SkipEvents {
		events, err := d.events(ctx)
		if err != nil {
			return nil, fmt.Errorf("usage: detect anomalies of %q %s: %w", subject, metric, err)
		}
		found = append(found, events...)
	}
	if len(found) == 0 {
		return nil, nil
	}
	res, err := m.store.InsertAnomalies(ctx, &store.InsertAnomaliesParams{Anomalies: found})
	if err != nil {
		return nil, fmt.Errorf("usage: store anomalies of %q %s: %w", subject, metric, err)
	}
	out := make([]Anomaly, len(res.Inserted))
	for i, a := range res.Inserted {
		out[i] = anomalyFromStore(a)
	}
	return out, nil
}

// detection is one DetectAnomalies call.
type detection struct {
	m       *Meter
	subject string
	metric  Metric
	loc     *time.Location
	opts    DetectOptions
	now     time.Time
	// end is the start of the current hour: the window ends there.
	end time.Time
}

// series runs the ensemble over the hourly series and returns its alarms, less
// those of incidents already stored.
func (d *detection) series(ctx context.Context) ([]store.Anomaly, error) {
	start := d.end.Add(-d.opts.Lookback).Truncate(time.Hour)
	res, err := d.m.store.Series(ctx, &store.SeriesParams{Subject: d.subject, Metric: d.metric.Key,
		From: start, To: d.end})
	if err != nil {
		return nil, err
	}
	n := int(d.end.Sub(start) / time.Hour)
	values := make([]float64, n)
	seen := make([]bool, n)
	for _, b := range res.Buckets {
		i := int(b.Start.Sub(start) / time.Hour)
		if i >= 0 && i < n {
			values[i], seen[i] = hourlyValue(d.metric, b), true
		}
	}
	if gauge(d.metric.Aggregation) {
		for i := 1; i < n; i++ {
			if !seen[i] {
				values[i] = values[i-1]
			}
		}
	}
	// Hours before the first usage are not history: scored, they would make the
	// first usage of a new subject look like an anomaly of an idle one.
	first := slices.Index(seen, true)
	if first < 0 {
		return nil, nil
	}
	cfg := d.opts.Ensemble
	cfg.Location = d.loc
	e := anomaly.NewEnsemble(cfg)
	var usual sameHour
	var alarms []store.Anomaly
	for i := first; i < n; i++ {
		v := values[i]
		at := start.Add(time.Duration(i) * time.Hour)
		slot := hourSlot(at.In(d.loc), cfg.Weekends)
		expected := usual.median(slot)
		usual.add(slot, v)
		a := e.Update(at, v)
		if !a.Alarm {
			continue
		}
		alarms = append(alarms, store.Anomaly{Subject: d.subject, Metric: d.metric.Key, At: at,
			Method: string(AnomalyMethodEnsemble), Value: v, Expected: expected, Score: a.Score,
			Risk: a.Risk, FraudSuspect: a.FraudSuspect, Reasons: storeReasons(a.Reasons),
			Status: store.AnomalyOpen, CreatedAt: d.now})
	}
	if len(alarms) == 0 {
		return nil, nil
	}
	quiet := time.Duration(d.opts.Ensemble.Quiet) * time.Hour
	stored, err := d.stored(ctx, AnomalyMethodEnsemble, alarms[0].At.Add(-quiet), d.end.Add(quiet))
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(alarms, func(a store.Anomaly) bool {
		return slices.ContainsFunc(stored, func(s time.Time) bool {
			return !s.Equal(a.At) && s.Sub(a.At).Abs() <= quiet
		})
	}), nil
}

// stored returns the times of the stored anomalies of the series found by method
// in [from, to).
func (d *detection) stored(ctx context.Context, method AnomalyMethod, from, to time.Time) ([]time.Time, error) {
	var out []time.Time
	var after int64
	for {
		res, err := d.m.store.ListAnomalies(ctx, &store.ListAnomaliesParams{Subject: d.subject,
			Metric: d.metric.Key, Method: string(method), From: from, To: to, AfterID: after})
		if err != nil {
			return nil, err
		}
		for _, a := range res.Anomalies {
			out = append(out, a.At)
			after = a.ID
		}
		if len(res.Anomalies) == 0 {
			return out, nil
		}
	}
}

// events checks the latest events of the event window for bursts and for days of
// bot-like regularity, leaving out the regular days of a subject that was regular
// before.
func (d *detection) events(ctx context.Context) ([]store.Anomaly, error) {
	from := d.end.Add(-d.opts.EventWindow)
	res, err := d.m.store.ListEventTimes(ctx, &store.ListEventTimesParams{Subject: d.subject,
		Metric: d.metric.Key, From: from.Add(-AnomalyHabitWindow), To: d.end, Limit: d.opts.MaxEvents})
	if err != nil {
		return nil, err
	}
	// The latest events come first in the limit, so the window keeps its events and
	// the habit gets what is left.
	split, _ := slices.BinarySearchFunc(res.Times, from, time.Time.Compare)
	recent := res.Times[split:]
	// CheckEvents judges regularity per subject; grouping by local day instead gives
	// each day its own verdict, at a time that stays the same from run to run.
	events := make([]anomaly.Event, len(recent))
	for i, t := range recent {
		events[i] = anomaly.Event{Subject: t.In(d.loc).Format(time.DateOnly), Time: t}
	}
	cfg := d.opts.Events
	var regularDays []time.Time
	var out []store.Anomaly
	for _, f := range anomaly.CheckEvents(events, cfg) {
		a := store.Anomaly{Subject: d.subject, Metric: d.metric.Key, Value: f.Stat,
			Status: store.AnomalyOpen, CreatedAt: d.now}
		switch f.Kind {
		case anomaly.Burst:
			a.At, a.Method, a.Expected = f.Start, string(AnomalyMethodBurst), float64(cfg.BurstEvents)
			a.Score = 1 - float64(cfg.BurstEvents)/f.Stat
		case anomaly.Regular:
			day := f.Start.In(d.loc)
			a.At = periodStart(day.Year(), day.Month(), day.Day(), d.loc).UTC()
			if regularDays == nil {
				regularDays = d.regularDays(res.Times, cfg)
			}
			// A client reporting on a timer is regular every day; only regularity
			// that is new is bot-like.
			if slices.ContainsFunc(regularDays, func(r time.Time) bool { return r.Before(a.At) }) {
				continue
			}
			a.Method, a.Expected = string(AnomalyMethodRegularity), 1
			a.Score, a.FraudSuspect = 1-f.Stat/cfg.MaxCV, true
		default:
			continue
		}
		a.Score = clamp01(a.Score)
		a.Risk = int(math.Round(100 * a.Score))
		a.Reasons = []store.AnomalyReason{{Detector: a.Method, Stat: finite(f.Stat), Value: a.Score}}
		out = append(out, a)
	}
	return out, nil
}

// regularDays returns the starts, in UTC, of the local days whose events among
// times (sorted) were regular enough to be a timer's.
func (d *detection) regularDays(times []time.Time, cfg anomaly.EventConfig) []time.Time {
	var out []time.Time
	for lo := 0; lo < len(times); {
		day := times[lo].In(d.loc)
		start := periodStart(day.Year(), day.Month(), day.Day(), d.loc)
		next := start.AddDate(0, 0, 1)
		n, _ := slices.BinarySearchFunc(times[lo:], next, time.Time.Compare)
		hi := lo + n
		if hi-lo >= cfg.MinEvents && anomaly.ArrivalCV(times[lo:hi]) < cfg.MaxCV {
			out = append(out, start.UTC())
		}
		lo = hi
	}
	return out
}

// hourlyValue is the value of an hour's rollup in metric units: the total for sums,
// the number of events for counts, and the level for gauges.
func hourlyValue(met Metric, b store.Bucket) float64 {
	units := func(n int64) float64 { return met.quantity(n).Float64() }
	switch met.Aggregation {
	case AggregationCount, AggregationUniqueCount:
		return float64(b.Count)
	case AggregationMax, AggregationLatest:
		return units(b.Max)
	case AggregationMin:
		return units(b.Min)
	case AggregationAvg:
		if b.Count == 0 {
			return 0
		}
		return units(b.Total) / float64(b.Count)
	default:
		return units(b.Total)
	}
}

// gauge reports whether an aggregation describes a level, which persists through
// hours without events, rather than a flow.
func gauge(agg Aggregation) bool {
	switch agg {
	case AggregationMax, AggregationMin, AggregationAvg, AggregationLatest:
		return true
	}
	return false
}

// hourSlot is the slot of a local time in the expected-value baseline: its hour of
// the day, and with weekends kept apart, 24 more on Saturday and Sunday, as the
// ensemble's seasonal baseline has it.
func hourSlot(local time.Time, weekends bool) int {
	h := local.Hour()
	if wd := local.Weekday(); weekends && (wd == time.Saturday || wd == time.Sunday) {
		h += 24
	}
	return h
}

// sameHour keeps the latest week of values per slot (see hourSlot), for the
// expected value of an hour.
type sameHour [48][]float64

const sameHourDepth = 7

func (s *sameHour) add(slot int, v float64) {
	s[slot] = append(s[slot], v)
	if len(s[slot]) > sameHourDepth {
		s[slot] = s[slot][1:]
	}
}

func (s *sameHour) median(slot int) float64 {
	vs := slices.Clone(s[slot])
	if len(vs) == 0 {
		return 0
	}
	slices.Sort(vs)
	if n := len(vs); n%2 == 0 {
		return (vs[n/2-1] + vs[n/2]) / 2
	}
	return vs[len(vs)/2]
}

func storeReasons(rs []anomaly.Reason) []store.AnomalyReason {
	if len(rs) == 0 {
		return nil
	}
	out := make([]store.AnomalyReason, len(rs))
	for i, r := range rs {
		out[i] = store.AnomalyReason{Detector: r.Detector, Stat: finite(r.Stat), Value: finite(r.Value)}
	}
	return out
}

// finite maps NaN to 0 and ±Inf to ±math.MaxFloat64, which both stores and JSON
// keep.
func finite(v float64) float64 {
	switch {
	case math.IsNaN(v):
		return 0
	case math.IsInf(v, 1):
		return math.MaxFloat64
	case math.IsInf(v, -1):
		return -math.MaxFloat64
	}
	return v
}

func clamp01(v float64) float64 { return min(max(v, 0), 1) }
