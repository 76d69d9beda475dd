package forecast

import "strconv"

// Adjusted forecasts the seasonally adjusted series with Model and puts the
// seasonal pattern back, as the M4 competition's benchmarks do.
//
// The pattern of period Season comes from classical decomposition (see
// [IsSeasonal] for when it is applied): multiplicative for a strictly positive
// series, additive otherwise (zeros and negative values make ratios
// meaningless). When the test fails, or Season is below 2, Model sees y
// unchanged. A nil Model means [Naive].
type Adjusted struct {
	Model  Model
	Season int
}

// Name returns the inner model's name with the suffix "_sa" and the season, for
// example "ses_sa24".
func (a Adjusted) Name() string {
	return a.model().Name() + "_sa" + strconv.Itoa(a.Season)
}

func (a Adjusted) model() Model {
	if a.Model == nil {
		return Naive{}
	}
	return a.Model
}

// Forecast predicts h steps.
func (a Adjusted) Forecast(y []float64, h int) (Forecast, error) {
	if err := checkInput(y, h); err != nil {
		return Forecast{}, err
	}
	inner := a.model()
	if !IsSeasonal(y, a.Season) {
		return inner.Forecast(y, h)
	}
	mul := positive(y)
	si := seasonalIndices(y, a.Season, mul)
	if si == nil {
		return inner.Forecast(y, h)
	}
	m := a.Season
	adj := make([]float64, len(y))
	for t, v := range y {
		if mul {
			adj[t] = v / si[t%m]
		} else {
			adj[t] = v - si[t%m]
		}
	}
	f, err := inner.Forecast(adj, h)
	if err != nil {
		return Forecast{}, err
	}
	n := len(y)
	for _, s := range [][]float64{f.Point, f.Lower80, f.Upper80, f.Lower95, f.Upper95} {
		for j := range s {
			if mul {
				s[j] = clampFinite(s[j] * si[(n+j)%m])
			} else {
				s[j] = clampFinite(s[j] + si[(n+j)%m])
			}
		}
	}
	f.Model = a.Name()
	return f, nil
}
