package usage

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/usagekit/usage/forecast"
	"github.com/usagekit/usage/store"
)

// Defaults and bounds of usage forecasts.
const (
	// MinForecastHistory is the least usage history a forecast is made from: a week,
	// so that the weekly cycle can be seen (7 daily or 168 hourly steps).
	MinForecastHistory = 7 * 24 * time.Hour
	// DefaultForecastHistory is how far back Forecast reads usage.
	DefaultForecastHistory = 90 * 24 * time.Hour
	// MaxForecastHistory is the longest ForecastOptions.History.
	MaxForecastHistory = 400 * 24 * time.Hour
	// MinForecastHorizon is the fewest steps Forecast predicts by default.
	MinForecastHorizon = 7
	// MaxForecastHorizon is the largest ForecastOptions.Horizon: enough for a month
	// of hourly steps.
	MaxForecastHorizon = 1000
	// DefaultForecastListLimit is the number of records Meter.Forecasts returns when
	// none is asked, and MaxForecastListLimit the largest.
	DefaultForecastListLimit = 20
	MaxForecastListLimit     = 1000
)

// DefaultForecastThresholds are the percentages of a limit whose crossing times a
// forecast reports, as the default alert thresholds.
var DefaultForecastThresholds = []float64{80, 90, 100}

// ForecastStep is the length of one step of a forecast.
type ForecastStep string

const (
	// ForecastDaily steps are days, from midnight to midnight in the subject's time
	// zone (23 or 25 hours across a clock change). Models look for a weekly cycle.
	ForecastDaily ForecastStep = "day"
	// ForecastHourly steps are the hours of the hourly rollups, which start on the
	// hour in UTC. Models look for daily and weekly cycles.
	ForecastHourly ForecastStep = "hour"
)

// ForecastOptions tune Meter.Forecast. The zero value forecasts daily usage to the
// end of the billing period.
type ForecastOptions struct {
	// Step is the length of one step. Defaults to ForecastDaily.
	Step ForecastStep
	// Horizon is the number of steps to forecast, counting the current one.
	// Defaults to the steps left in the current billing period, and at least
	// MinForecastHorizon; at most MaxForecastHorizon. The quota projection always
	// runs to the end of the period, also when Horizon stops before it.
	Horizon int
	// History is how far back usage is read, from the start of the current step.
	// Defaults to DefaultForecastHistory; from MinForecastHistory to
	// MaxForecastHistory.
	History time.Duration
	// Thresholds are the percentages of the limit whose crossing times are
	// reported. Defaults to DefaultForecastThresholds.
	Thresholds []float64
	// Model makes the forecast. Defaults to forecast.Auto with the seasons of the
	// step: 7 for daily steps, 24 and 168 for hourly ones.
	Model forecast.Model
}

func (o ForecastOptions) withDefaults() (ForecastOptions, error) {
	o.Step = cmp.Or(o.Step, ForecastDaily)
	if o.Step != ForecastDaily && o.Step != ForecastHourly {
		return o, invalid("step", "%q: want %q or %q", truncate(string(o.Step)), ForecastDaily, ForecastHourly)
	}
	if o.Horizon < 0 || o.Horizon > MaxForecastHorizon {
		return o, invalid("horizon", "%d: want from 1 to %d steps, or 0 for the rest of the period", o.Horizon, MaxForecastHorizon)
	}
	o.History = cmp.Or(o.History, DefaultForecastHistory)
	if o.History < MinForecastHistory || o.History > MaxForecastHistory {
		return o, invalid("history", "%v: want from %v to %v", o.History, MinForecastHistory, MaxForecastHistory)
	}
	if len(o.Thresholds) == 0 {
		o.Thresholds = DefaultForecastThresholds
	}
	for _, p := range o.Thresholds {
		if !(p > 0) || math.IsInf(p, 0) {
			return o, invalid("thresholds", "%v: want positive percentages such as 80", p)
		}
	}
	if o.Model == nil {
		seasons := []int{7}
		if o.Step == ForecastHourly {
			seasons = []int{24, 168}
		}
		o.Model = forecast.Auto{Seasons: seasons}
	}
	return o, nil
}

// Forecast is a forecast of a subject's usage of one metric, and what it means
// for the subject's quota. Meter.Forecast stores each one it makes.
type Forecast struct {
	// ID identifies the stored record.
	ID      int64
	Subject string
	Metric  string
	// Aggregation is the metric's: it says what Points measure.
	Aggregation Aggregation
	// Model names the model that made the forecast, such as "auto(hw_add7)".
	Model string
	Step  ForecastStep
	// GeneratedAt is when the forecast was made.
	GeneratedAt time.Time
	// History is the number of steps of usage the model learnt from: from the first
	// step with usage in the window read to the current step, which is excluded.
	History int
	// Points are the forecasts, one per step of the horizon, starting with the
	// current step (whose value is the forecast for all of it, the part already
	// used included).
	Points []ForecastPoint
	// Quota is what the forecast means for the quota of the current billing period.
	// It is nil when the metric has no limit (or a limit of zero) in the subject's
	// plan, and for min and avg metrics, whose period usage a level forecast does not
	// bound.
	Quota *QuotaForecast
}

// ForecastPoint is the forecast of one step. For flows (sum, count) the values are
// the usage during the step; for gauges (max, min, avg, latest) they are the level
// during the step. Values are in the metric's unit (events, for count).
type ForecastPoint struct {
	// Start and End bound the step, [Start, End), in UTC.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Value is the point forecast.
	Value float64 `json:"value"`
	// Lower80 to Upper80 and Lower95 to Upper95 are the central 80 % and 95 %
	// prediction intervals.
	Lower80 float64 `json:"lower80"`
	Upper80 float64 `json:"upper80"`
	Lower95 float64 `json:"lower95"`
	Upper95 float64 `json:"upper95"`
}

// Forecast predicts subject's usage of metric, says what that means for the quota
// of the current billing period, and stores the result (see Forecasts).
//
// It reads the hourly rollups of the History window, folds them into steps — days
// in the subject's time zone by default — and forecasts from the first step with
// usage to the current step, which is only partly observed and so is forecast, not
// learnt from. Flows (sum, count) are forecast as usage per step, steps without
// events counting zero, and projected as a running total. Gauges (max, min, avg,
// latest) are forecast as their level, which a step without events keeps from the
// step before: per step the highest value (max), the lowest (min), the mean (avg),
// or the highest of the step's last hour with events (latest; the rollups keep no
// last value). unique_count metrics cannot be forecast: the rollups do not keep
// distinct values. Steps are made of whole hourly rollups, so in a zone offset from
// UTC by a fraction of an hour each rollup counts in the step it starts in.
//
// With fewer than MinForecastHistory of steps since the first usage it returns an
// *InsufficientHistoryError, which matches ErrInsufficientHistory.
func (m *Meter) Forecast(ctx context.Context, subject, metric string, opts ForecastOptions) (Forecast, error) {
	met, err := m.subjectMetric(subject, metric)
	if err != nil {
		return Forecast{}, err
	}
	if met.Aggregation == AggregationUniqueCount {
		return Forecast{}, invalid("metric", "%s counts distinct values, which the usage rollups do not keep: it cannot be forecast", metric)
	}
	opts, err = opts.withDefaults()
	if err != nil {
		return Forecast{}, err
	}
	now := m.now()
	r, err := m.resolve(ctx, "forecast", subject, now)
	if err != nil {
		return Forecast{}, err
	}
	fc, err := m.makeForecast(ctx, r, met, opts, now)
	if err != nil {
		return Forecast{}, err
	}
	payload, err := json.Marshal(newForecastPayload(fc))
	if err != nil {
		return Forecast{}, fmt.Errorf("usage: forecast of %q %s: %w", subject, metric, err)
	}
	res, err := m.store.InsertForecast(ctx, &store.InsertForecastParams{Forecast: store.Forecast{
		Subject: subject, Metric: metric, Model: fc.Model, Step: string(fc.Step),
		Horizon: len(fc.Points), GeneratedAt: now, Payload: string(payload)}})
	if err != nil {
		return Forecast{}, fmt.Errorf("usage: store forecast of %q %s: %w", subject, metric, err)
	}
	fc.ID, fc.GeneratedAt = res.Forecast.ID, res.Forecast.GeneratedAt
	if err := m.raiseForecastAlert(ctx, fc); err != nil {
		return Forecast{}, err
	}
	return fc, nil
}

// makeForecast reads the series, forecasts it and projects it onto the quota.
func (m *Meter) makeForecast(ctx context.Context, r *resolved, met Metric, opts ForecastOptions, now time.Time) (Forecast, error) {
	subject := r.Subject
	steps := stepper{step: opts.Step, loc: r.loc}
	cur := steps.start(now)
	from := steps.start(cur.Add(-opts.History))
	quota, err := m.quota(ctx, "forecast", subject, met, Quantity{})
	if err != nil {
		return Forecast{}, err
	}
	// One read covers the history and the current step, whose usage so far the
	// projection needs.
	res, err := m.store.Series(ctx, &store.SeriesParams{Subject: subject, Metric: met.Key,
		From: from, To: steps.next(cur)})
	if err != nil {
		return Forecast{}, fmt.Errorf("usage: forecast of %q %s: %w", subject, met.Key, err)
	}
	s := fold(met, steps, from, cur, res.Buckets)
	need := int(MinForecastHistory / steps.nominal())
	have := 0
	if s.first >= 0 {
		have = len(s.values) - s.first
	}
	if have < need {
		return Forecast{}, &InsufficientHistoryError{Subject: subject, Metric: met.Key,
			Step: opts.Step, Have: have, Need: need}
	}
	// The model forecasts the horizon or the steps left in the period, whichever
	// is longer, so the projection always reaches the period's end.
	left := 0
	for t := cur; t.Before(quota.Period.End) && left < MaxForecastHorizon; t = steps.next(t) {
		left++
	}
	h := opts.Horizon
	if h == 0 {
		h = max(left, MinForecastHorizon)
	}
	ends := make([]time.Time, max(h, left))
	for j, t := 0, cur; j < len(ends); j++ {
		t = steps.next(t)
		ends[j] = t
	}
	f, err := opts.Model.Forecast(s.values[s.first:], len(ends))
	if err == nil {
		err = checkForecast(f, len(ends))
	}
	if err != nil {
		return Forecast{}, fmt.Errorf("usage: forecast of %q %s: %w", subject, met.Key, err)
	}
	out := Forecast{Subject: subject, Metric: met.Key, Aggregation: met.Aggregation,
		Model: cmp.Or(f.Model, opts.Model.Name()), Step: opts.Step, GeneratedAt: now, History: have,
		Points: make([]ForecastPoint, h)}
	start := cur
	for j := range h {
		out.Points[j] = ForecastPoint{Start: start.UTC(), End: ends[j].UTC(),
			Value: f.Point[j], Lower80: f.Lower80[j], Upper80: f.Upper80[j],
			Lower95: f.Lower95[j], Upper95: f.Upper95[j]}
		start = ends[j]
	}
	q, err := project(r, met, quota, f, ends[:left], s.current, opts.Thresholds)
	if err != nil {
		return Forecast{}, fmt.Errorf("usage: forecast of %q %s: %w", subject, met.Key, err)
	}
	out.Quota = q
	return out, nil
}

// checkForecast checks what a model returned, which may be a caller's model: h
// finite values in each series, so that neither indexing nor storing it fails.
func checkForecast(f forecast.Forecast, h int) error {
	for _, s := range [][]float64{f.Point, f.Lower80, f.Upper80, f.Lower95, f.Upper95} {
		if len(s) < h {
			return fmt.Errorf("model %s returned %d steps, %d were asked for", f.Model, len(s), h)
		}
		for j, v := range s[:h] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("model %s returned %v at step %d", f.Model, v, j)
			}
		}
	}
	return nil
}

// Forecasts returns the latest stored forecasts of subject's metric, newest first:
// at most limit of them (0 means DefaultForecastListLimit; at most
// MaxForecastListLimit). An empty metric lists the forecasts of every metric.
func (m *Meter) Forecasts(ctx context.Context, subject, metric string, limit int) ([]Forecast, error) {
	if err := m.forSubject(subject); err != nil {
		return nil, err
	}
	if metric != "" {
		if _, err := m.cfg.metric(metric); err != nil {
			return nil, err
		}
	}
	if limit < 0 || limit > MaxForecastListLimit {
		return nil, invalid("limit", "%d: want from 1 to %d, or 0 for %d", limit, MaxForecastListLimit, DefaultForecastListLimit)
	}
	res, err := m.store.ListForecasts(ctx, &store.ListForecastsParams{Subject: subject, Metric: metric,
		Limit: cmp.Or(limit, DefaultForecastListLimit)})
	if err != nil {
		return nil, fmt.Errorf("usage: list forecasts of %q: %w", subject, err)
	}
	out := make([]Forecast, len(res.Forecasts))
	for i, rec := range res.Forecasts {
		var p forecastPayload
		if err := json.Unmarshal([]byte(rec.Payload), &p); err != nil {
			return nil, fmt.Errorf("usage: forecast %d of %q: %w", rec.ID, subject, err)
		}
		out[i] = p.forecast(rec)
	}
	return out, nil
}

// forecastPayload is what the store keeps of a Forecast beyond its columns.
// Quantities and money keep their exact decimal form in JSON.
type forecastPayload struct {
	Aggregation Aggregation     `json:"aggregation"`
	History     int             `json:"history"`
	Points      []ForecastPoint `json:"points"`
	Quota       *QuotaForecast  `json:"quota,omitempty"`
}

func newForecastPayload(f Forecast) forecastPayload {
	return forecastPayload{Aggregation: f.Aggregation, History: f.History, Points: f.Points, Quota: f.Quota}
}

func (p forecastPayload) forecast(rec store.Forecast) Forecast {
	return Forecast{ID: rec.ID, Subject: rec.Subject, Metric: rec.Metric, Aggregation: p.Aggregation,
		Model: rec.Model, Step: ForecastStep(rec.Step), GeneratedAt: rec.GeneratedAt, History: p.History,
		Points: p.Points, Quota: p.Quota}
}
