package forecast

import (
	"errors"
	"fmt"
	"math"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// QuotaInput describes a quota period in progress and the forecast usage for
// its remaining steps. Amounts are in the metered unit (requests, tokens,
// bytes…), whatever the series was.
type QuotaInput struct {
	// Forecast is the usage forecast per step (usage during each step, not a
	// running total), starting with the step after the last observation.
	Forecast Forecast
	// StepEnds holds the end time of each remaining step of the period; its
	// length is the number of steps left and must not exceed Forecast.Len().
	// Empty means the period is over.
	StepEnds []time.Time
	// Used is the usage already counted in the period.
	Used float64
	// Limit is the quota for the whole period; it must be positive.
	Limit float64
	// Thresholds are the fractions of Limit to report crossing times for.
	// Defaults to 0.8, 0.9 and 1.
	Thresholds []float64
}

// Crossing says when usage is forecast to reach Fraction·Limit.
type Crossing struct {
	// Fraction of the limit, for example 0.9.
	Fraction float64
	// Already is true when Used has reached the threshold before any step.
	Already bool
	// Reached is true when the threshold is reached by the end of the period
	// (including Already), following the point forecast.
	Reached bool
	// At is the end of the step during which the running total of point
	// forecasts reaches the threshold; zero when not Reached or Already.
	At time.Time
}

// QuotaProjection answers what a forecast means for a quota.
type QuotaProjection struct {
	// Crossings has one entry per threshold, in the order given.
	Crossings []Crossing
	// ExpectedTotal is Used plus the forecast usage until the period ends.
	ExpectedTotal float64
	// ExceedProbability is the probability that the period's total usage ends
	// above Limit, in [0, 1].
	ExceedProbability float64
	// ExpectedOverage is the expected usage above Limit, E[max(total−Limit, 0)],
	// in the metered unit; multiply by a price to get money.
	ExpectedOverage float64
}

// ErrQuotaInput is wrapped by the errors Project returns for invalid input.
var ErrQuotaInput = errors.New("forecast: invalid quota input")

// Project combines the forecast with the usage so far.
//
// Usage never goes down, so negative per-step point forecasts count as zero.
// The total at the period's end is taken as normal, with mean ExpectedTotal
// and a standard deviation that is the sum of the per-step standard
// deviations (read from the 95 % intervals). Summing them assumes the steps'
// errors are perfectly correlated, which is what happens when the forecast
// level itself is off; it gives a wider, more cautious distribution than
// independent errors would.
func Project(in QuotaInput) (QuotaProjection, error) {
	f := in.Forecast
	if err := checkProjection(f, in.Limit, in.Used, len(in.StepEnds)); err != nil {
		return QuotaProjection{}, err
	}
	p := QuotaProjection{Crossings: crossingsSoFar(in.Thresholds, in.Used, in.Limit)}
	total, sd := in.Used, 0.0
	for j, end := range in.StepEnds {
		total += math.Max(f.Point[j], 0)
		sd += sdFromWidth(f.Lower95[j], f.Upper95[j])
		for i := range p.Crossings {
			c := &p.Crossings[i]
			if !c.Reached && total >= c.Fraction*in.Limit {
				c.Reached, c.At = true, end
			}
		}
	}
	total = clampFinite(total)
	p.ExpectedTotal = total
	excess := total - in.Limit
	if sd == 0 || math.IsInf(sd, 0) {
		if excess > 0 {
			p.ExceedProbability, p.ExpectedOverage = 1, excess
		}
		return p, nil
	}
	d := excess / sd
	p.ExceedProbability = distuv.UnitNormal.CDF(d)
	// E[max(X, 0)] for X normal with mean excess and deviation sd.
	p.ExpectedOverage = math.Max(excess*distuv.UnitNormal.CDF(d)+sd*distuv.UnitNormal.Prob(d), 0)
	return p, nil
}

// checkProjection refuses inputs Project and ProjectLevel cannot work with.
func checkProjection(f Forecast, limit, used float64, steps int) error {
	switch {
	case !(limit > 0) || math.IsInf(limit, 0):
		return fmt.Errorf("%w: limit %v must be positive and finite", ErrQuotaInput, limit)
	case math.IsNaN(used) || math.IsInf(used, 0):
		return fmt.Errorf("%w: used %v must be finite", ErrQuotaInput, used)
	case steps > f.Len():
		return fmt.Errorf("%w: %d steps left but the forecast has %d; forecast further ahead", ErrQuotaInput, steps, f.Len())
	case len(f.Lower95) < f.Len() || len(f.Upper95) < f.Len():
		return fmt.Errorf("%w: forecast lacks 95 %% bounds", ErrQuotaInput)
	}
	return nil
}

// crossingsSoFar returns a Crossing per threshold (0.8, 0.9 and 1 when there are
// none), marked Already and Reached where used is at or past it.
func crossingsSoFar(thresholds []float64, used, limit float64) []Crossing {
	if len(thresholds) == 0 {
		thresholds = []float64{0.8, 0.9, 1}
	}
	cs := make([]Crossing, len(thresholds))
	for i, fr := range thresholds {
		cs[i] = Crossing{Fraction: fr}
		if used >= fr*limit {
			cs[i].Already, cs[i].Reached = true, true
		}
	}
	return cs
}
