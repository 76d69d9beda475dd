package forecast

import (
	"math"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// LevelInput describes a quota on a level — a gauge such as storage in use — and
// the forecast of that level for the period's remaining steps.
type LevelInput struct {
	// Forecast is the level forecast at each step (not usage during the step),
	// starting with the step after the last observation.
	Forecast Forecast
	// StepEnds holds the end time of each remaining step of the period, as in
	// QuotaInput.
	StepEnds []time.Time
	// Used is the period's usage so far: its highest level for a peak quota, the
	// current level when Final is set.
	Used float64
	// Limit is the quota for the period; it must be positive.
	Limit float64
	// Thresholds are the fractions of Limit to report crossing times for.
	// Defaults to 0.8, 0.9 and 1.
	Thresholds []float64
	// Final makes the period's usage the level at its end (a "latest" quota)
	// instead of the highest level reached in it (a "max" quota).
	Final bool
}

// zGrid is the number of points of the standard normal grid ProjectLevel
// integrates over for a peak quota, over ±zSpan standard deviations.
const (
	zGrid = 1601
	zSpan = 8.0
)

// ProjectLevel is Project for a level: when the forecast level reaches 80, 90
// and 100 % of the limit, the probability that the period's usage ends above
// the limit, and the expected usage above it.
//
// As in Project, the errors of the steps are taken as perfectly correlated: the
// level at step j is Point[j] + z·sd[j] for one standard normal z, with sd[j]
// read from the 95 % interval. For a final-level quota the period's usage is
// the last step's level; for a peak quota it is the highest of Used and every
// step's level, whose mean and overage are integrated numerically over z.
// Crossings follow the point forecast; Already compares Used with the
// threshold. Levels are not clamped at zero.
func ProjectLevel(in LevelInput) (QuotaProjection, error) {
	f := in.Forecast
	if err := checkProjection(f, in.Limit, in.Used, len(in.StepEnds)); err != nil {
		return QuotaProjection{}, err
	}
	p := QuotaProjection{Crossings: crossingsSoFar(in.Thresholds, in.Used, in.Limit)}
	for i := range p.Crossings {
		c := &p.Crossings[i]
		for j, end := range in.StepEnds {
			if !c.Reached && f.Point[j] >= c.Fraction*in.Limit {
				c.Reached, c.At = true, end
			}
		}
	}
	n := len(in.StepEnds)
	if n == 0 {
		// The period is over: its usage is known.
		p.ExpectedTotal = in.Used
		if in.Used > in.Limit {
			p.ExceedProbability, p.ExpectedOverage = 1, in.Used-in.Limit
		}
		return p, nil
	}
	sd := make([]float64, n)
	for j := range n {
		sd[j] = sdFromWidth(f.Lower95[j], f.Upper95[j])
	}
	if in.Final {
		last := n - 1
		excess := f.Point[last] - in.Limit
		p.ExpectedTotal = f.Point[last]
		if sd[last] == 0 {
			if excess > 0 {
				p.ExceedProbability, p.ExpectedOverage = 1, excess
			}
			return p, nil
		}
		d := excess / sd[last]
		p.ExceedProbability = distuv.UnitNormal.CDF(d)
		p.ExpectedOverage = math.Max(excess*distuv.UnitNormal.CDF(d)+sd[last]*distuv.UnitNormal.Prob(d), 0)
		return p, nil
	}
	// The peak passes the limit when some step does: for the z above the lowest
	// (Limit − Point[j]) / sd[j], or always once Used or a certain step has.
	need := math.Inf(1)
	if in.Used > in.Limit {
		need = math.Inf(-1)
	}
	for j := range n {
		switch {
		case sd[j] > 0:
			need = math.Min(need, (in.Limit-f.Point[j])/sd[j])
		case f.Point[j] > in.Limit:
			need = math.Inf(-1)
		}
	}
	p.ExceedProbability = 1 - distuv.UnitNormal.CDF(need)
	// Trapezoidal rule over z, weighted by the normal density; the weights are
	// normalised so the tails beyond ±zSpan do not bias the mean.
	var mean, over, weights float64
	step := 2 * zSpan / (zGrid - 1)
	for k := range zGrid {
		z := -zSpan + float64(k)*step
		w := distuv.UnitNormal.Prob(z)
		if k == 0 || k == zGrid-1 {
			w /= 2
		}
		peak := in.Used
		for j := range n {
			peak = math.Max(peak, f.Point[j]+z*sd[j])
		}
		mean += w * peak
		over += w * math.Max(peak-in.Limit, 0)
		weights += w
	}
	p.ExpectedTotal = clampFinite(mean / weights)
	p.ExpectedOverage = clampFinite(over / weights)
	return p, nil
}
