package forecast

import (
	"errors"
	"math"
	"slices"
	"strings"
)

// DefaultOrigins is the number of validation windows Auto uses when Origins is
// zero.
const DefaultOrigins = 5

// Auto forecasts with the candidate model that predicted the end of the series
// best. It fits every candidate on the series cut at up to Origins points
// (origins n−v, n−2v, …, with v the larger of the shortest season and h — or
// half the series, when h is longer, so that a long horizon on a short series
// is still validated — and no origin before the middle of the series so every
// fit sees half the data),
// scores each candidate's forecasts of the v values after each cut, and uses
// the best candidate, refitted on the whole series. Only the series given is
// looked at, and the procedure is the same for every series.
//
// The score of a candidate is its summed sMAPE divided by the best candidate's
// plus its summed MASE (scaled by the differences over the shortest season)
// divided by the best candidate's, so that neither
// relative nor absolute errors dominate. With Combine above 1 the Combine best
// candidates are averaged, points and interval bounds alike.
//
// A series too short for one validation window (fewer than twice the shortest
// season) gets the first candidate: seasonal naive for the shortest season by
// default. Candidates that fail are skipped; Auto fails only when all do. The
// zero value validates non-seasonal candidates.
type Auto struct {
	// Seasons lists the seasonal periods of the data, for example {24, 168} for
	// hourly data with daily and weekly cycles or {7} for daily data. Periods
	// below 2 are ignored.
	Seasons []int
	// Origins is the number of validation windows. Defaults to DefaultOrigins.
	Origins int
	// Combine is the number of best candidates averaged. Defaults to 1.
	Combine int
	// Candidates replaces the default candidates, Candidates(Seasons).
	Candidates []Model
}

// Name returns "auto".
func (Auto) Name() string { return "auto" }

// Candidates returns the models Auto chooses from for data with the given
// seasonal periods. For every period s: seasonal naive, SES and damped Holt on
// the series adjusted for s, Theta, and Holt-Winters additive and
// multiplicative, each with and without damping. For every pair of periods
// s1 < s2: SES and Theta on the series adjusted for s2 and then s1. For the
// longest period: the seasonal means of the last 2, 3 and 4 cycles. Without
// periods: Naive, SES, damped Holt, Theta and Linear.
func Candidates(seasons []int) []Model {
	var ss []int
	for _, s := range seasons {
		if s >= 2 && !slices.Contains(ss, s) {
			ss = append(ss, s)
		}
	}
	slices.Sort(ss)
	if len(ss) == 0 {
		return []Model{Naive{}, SES{}, Holt{Damped: true}, Theta{}, Linear{}}
	}
	var out []Model
	for _, s := range ss {
		out = append(out,
			SeasonalNaive{Season: s},
			Adjusted{Model: SES{}, Season: s},
			Adjusted{Model: Holt{Damped: true}, Season: s},
			Theta{Season: s},
			HoltWinters{Season: s},
			HoltWinters{Season: s, Damped: true},
			HoltWinters{Season: s, Multiplicative: true},
			HoltWinters{Season: s, Multiplicative: true, Damped: true},
		)
	}
	for i, s1 := range ss {
		for _, s2 := range ss[i+1:] {
			out = append(out,
				Adjusted{Model: Adjusted{Model: SES{}, Season: s2}, Season: s1},
				Adjusted{Model: Theta{Season: s2}, Season: s1},
			)
		}
	}
	longest := ss[len(ss)-1]
	for k := 2; k <= 4; k++ {
		out = append(out, SeasonalMean{Season: longest, Cycles: k})
	}
	return out
}

// Forecast chooses among the candidates on y and predicts h steps.
func (a Auto) Forecast(y []float64, h int) (Forecast, error) {
	if err := checkInput(y, h); err != nil {
		return Forecast{}, err
	}
	cands := a.Candidates
	if len(cands) == 0 {
		cands = Candidates(a.Seasons)
	}
	order := a.rank(cands, y, h)
	combine := max(a.Combine, 1)
	var chosen []Forecast
	var names []string
	for _, c := range order {
		f, err := cands[c].Forecast(y, h)
		if err != nil {
			continue
		}
		chosen = append(chosen, f)
		names = append(names, f.Model)
		if len(chosen) == combine {
			break
		}
	}
	if len(chosen) == 0 {
		return Forecast{}, errors.New("forecast: auto: every candidate failed")
	}
	f := average(chosen)
	f.Model = "auto(" + strings.Join(names, "+") + ")"
	return f, nil
}

// rank returns candidate indices, best validation score first. Candidates that
// failed on a window come last, in their original order.
func (a Auto) rank(cands []Model, y []float64, h int) []int {
	order := make([]int, len(cands))
	for i := range order {
		order[i] = i
	}
	m := shortestSeason(a.Seasons)
	v := max(m, min(h, len(y)/2))
	origins := a.Origins
	if origins <= 0 {
		origins = DefaultOrigins
	}
	origins = min(origins, len(y)/2/v)
	if origins < 1 {
		return order
	}
	smapes := make([]float64, len(cands))
	mases := make([]float64, len(cands))
	for k := 1; k <= origins; k++ {
		o := len(y) - k*v
		train, test := y[:o], y[o:o+v]
		scale := meanAbsDiff(train, m)
		for c, model := range cands {
			f, err := model.Forecast(train, v)
			if err != nil {
				smapes[c], mases[c] = math.Inf(1), math.Inf(1)
				continue
			}
			smapes[c] += sMAPE(test, f.Point)
			mases[c] += meanAbsError(test, f.Point) / scale
		}
	}
	bestS, bestM := slices.Min(smapes), slices.Min(mases)
	score := make([]float64, len(cands))
	for c := range cands {
		score[c] = smapes[c]/(bestS+1e-12) + mases[c]/(bestM+1e-12)
		if math.IsNaN(score[c]) {
			score[c] = math.Inf(1)
		}
	}
	slices.SortStableFunc(order, func(i, j int) int {
		switch {
		case score[i] < score[j]:
			return -1
		case score[i] > score[j]:
			return 1
		}
		return 0
	})
	return order
}

// shortestSeason returns the shortest period of at least 2, or 1 when there is
// none.
func shortestSeason(seasons []int) int {
	m := 0
	for _, s := range seasons {
		if s >= 2 && (m == 0 || s < m) {
			m = s
		}
	}
	return max(m, 1)
}

// average returns the step-by-step mean of forecasts of equal length. Averaging
// interval bounds (quantiles) rather than variances keeps the combined interval
// no wider than the widest one.
func average(fs []Forecast) Forecast {
	if len(fs) == 1 {
		return fs[0]
	}
	h := fs[0].Len()
	out := Forecast{
		Point:   make([]float64, h),
		Lower80: make([]float64, h),
		Upper80: make([]float64, h),
		Lower95: make([]float64, h),
		Upper95: make([]float64, h),
	}
	w := 1 / float64(len(fs))
	for _, f := range fs {
		for j := range h {
			out.Point[j] += w * f.Point[j]
			out.Lower80[j] += w * f.Lower80[j]
			out.Upper80[j] += w * f.Upper80[j]
			out.Lower95[j] += w * f.Lower95[j]
			out.Upper95[j] += w * f.Upper95[j]
		}
	}
	return out
}

// sMAPE is the symmetric mean absolute percentage error in percent; a step
// where actual and forecast are both zero counts as exact.
func sMAPE(actual, forecast []float64) float64 {
	sum := 0.0
	for i, y := range actual {
		if den := math.Abs(y) + math.Abs(forecast[i]); den > 0 {
			sum += math.Abs(y-forecast[i]) / den
		}
	}
	return 200 * sum / float64(len(actual))
}

func meanAbsError(actual, forecast []float64) float64 {
	sum := 0.0
	for i, y := range actual {
		sum += math.Abs(y - forecast[i])
	}
	return sum / float64(len(actual))
}

// meanAbsDiff is the mean absolute lag-m difference of y (lag 1 when y is too
// short), the MASE scale. A constant series gets 1: scores are only compared
// between candidates on the same series, so any positive scale ranks them.
func meanAbsDiff(y []float64, m int) float64 {
	if len(y) <= m {
		m = 1
	}
	sum, count := 0.0, 0
	for t := m; t < len(y); t++ {
		sum += math.Abs(y[t] - y[t-m])
		count++
	}
	if count == 0 || sum == 0 {
		return 1
	}
	return sum / float64(count)
}
