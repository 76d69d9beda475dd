package usage

import (
	"math"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/usagekit/usage/forecast"
	"github.com/usagekit/usage/store"
)

// QuotaForecast projects a forecast onto the quota of the current billing period
// (see forecast.Project and forecast.ProjectLevel).
//
// For flows, usage at the period's end is Used plus the forecast usage of the
// steps left, the current one less what it has used so far. For a max metric it is
// the highest of Used and the forecast levels; for latest, the forecast level of the
// period's last step. A quota without overage refuses usage past its limit: there,
// ExceedProbability and ExpectedOverage describe the demand that would be refused.
type QuotaForecast struct {
	// Period is the current billing period, in UTC.
	Period Period `json:"period"`
	// Limit is the quota's limit, and AllowOverage whether usage may pass it.
	Limit        Quantity `json:"limit"`
	AllowOverage bool     `json:"allow_overage"`
	// Used is the period's usage when the forecast was made.
	Used Quantity `json:"used"`
	// ExpectedUsage is the period's usage at its end following the point forecast
	// (for max metrics: its mean over the forecast's uncertainty).
	ExpectedUsage float64 `json:"expected_usage"`
	// Crossings says when usage is forecast to reach each threshold, in the order of
	// ForecastOptions.Thresholds.
	Crossings []QuotaCrossing `json:"crossings"`
	// ExceedProbability is the probability that the period's usage ends above Limit,
	// in [0, 1].
	ExceedProbability float64 `json:"exceed_probability"`
	// ExpectedOverage is the expected usage above Limit at the period's end,
	// E[max(usage − Limit, 0)], in the metric's unit.
	ExpectedOverage float64 `json:"expected_overage"`
	// ExpectedCost is the plan's overage price of ExpectedOverage, rounded to cents
	// (RoundCents). It prices the expected overage, which for package and tiered
	// prices is not quite the expected price. Zero when the quota allows no overage
	// or has no price.
	ExpectedCost Money `json:"expected_cost"`
}

// QuotaCrossing says when usage is forecast to reach a percentage of the limit.
type QuotaCrossing struct {
	// Percent of the limit, such as 90.
	Percent float64 `json:"percent"`
	// Already is true when usage had reached it when the forecast was made.
	Already bool `json:"already"`
	// Reached is true when it is reached by the end of the period (Already
	// included), following the point forecast.
	Reached bool `json:"reached"`
	// At is the end of the step in which it is reached; zero when not Reached or
	// Already.
	At time.Time `json:"at,omitzero"`
}

// project answers what the forecast f means for the quota, over the steps left in
// the period, which end at ends (the last one clipped to the period's end). current
// is the usage of the current step so far.
func project(r *resolved, met Metric, quota QuotaStatus, f forecast.Forecast, ends []time.Time,
	current float64, thresholds []float64) (*QuotaForecast, error) {
	if quota.Unlimited || quota.Limit.Sign() <= 0 {
		return nil, nil
	}
	ends = slices.Clone(ends)
	if n := len(ends); n > 0 && ends[n-1].After(quota.Period.End) {
		ends[n-1] = quota.Period.End
	}
	fractions := make([]float64, len(thresholds))
	for i, p := range thresholds {
		fractions[i] = p / 100
	}
	used, limit := quota.Used.Float64(), quota.Limit.Float64()
	var p forecast.QuotaProjection
	var err error
	switch met.Aggregation {
	case AggregationSum, AggregationCount:
		// What the current step has used is in Used already: only the rest of its
		// forecast is still to come.
		if len(ends) > 0 {
			f = shiftFirst(f, current)
		}
		p, err = forecast.Project(forecast.QuotaInput{Forecast: f, StepEnds: ends, Used: used,
			Limit: limit, Thresholds: fractions})
	case AggregationMax, AggregationLatest:
		p, err = forecast.ProjectLevel(forecast.LevelInput{Forecast: f, StepEnds: ends, Used: used,
			Limit: limit, Thresholds: fractions, Final: met.Aggregation == AggregationLatest})
	default:
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	period := Period{Start: quota.Period.Start.UTC(), End: quota.Period.End.UTC()}
	q := &QuotaForecast{Period: period, Limit: quota.Limit, AllowOverage: quota.AllowOverage,
		Used: quota.Used, ExpectedUsage: p.ExpectedTotal, Crossings: make([]QuotaCrossing, len(p.Crossings)),
		ExceedProbability: p.ExceedProbability, ExpectedOverage: p.ExpectedOverage,
		ExpectedCost: Money{Amount: decimal.Zero, Currency: r.plan.currency()}}
	for i, c := range p.Crossings {
		q.Crossings[i] = QuotaCrossing{Percent: thresholds[i], Already: c.Already, Reached: c.Reached}
		if !c.At.IsZero() {
			q.Crossings[i].At = c.At.UTC()
		}
	}
	limitOf := r.plan.limitFor(met.Key)
	if quota.AllowOverage && !limitOf.Price.IsZero() && p.ExpectedOverage > 0 {
		over := approxQuantity(p.ExpectedOverage, met.scale())
		cost, err := limitOf.Price.Charge(over)
		if err != nil {
			return nil, err
		}
		q.ExpectedCost = Money{Amount: RoundCents(cost.Amount), Currency: cost.Currency}
	}
	return q, nil
}

// shiftFirst returns f with its first step lowered by used, the part of that step
// already counted.
func shiftFirst(f forecast.Forecast, used float64) forecast.Forecast {
	out := f
	for _, s := range []*[]float64{&out.Point, &out.Lower80, &out.Upper80, &out.Lower95, &out.Upper95} {
		*s = slices.Clone(*s)
		(*s)[0] -= used
	}
	return out
}

// approxQuantity is the quantity nearest to v at scale, a forecast's estimate, bounded
// so that the conversion cannot overflow.
func approxQuantity(v float64, scale int) Quantity {
	if scale == wholeScale {
		return quantityAt(int64(math.Round(min(v, math.MaxInt64/2))), wholeScale)
	}
	const most = math.MaxInt64 / store.MicrosPerUnit
	return QuantityFromMicros(int64(math.Round(min(v, most) * store.MicrosPerUnit)))
}
