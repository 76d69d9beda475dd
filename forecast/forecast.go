package forecast

import (
	"errors"
	"fmt"
	"math"
)

// Forecast is what a model predicts for the h steps after the last observation.
//
// Every slice has length h and index 0 is the first step after the series. Values
// are in the units of the input series. [Lower80, Upper80] and [Lower95, Upper95]
// are central prediction intervals: under the model's assumptions the future value
// falls inside them with probability 0.80 and 0.95. All values are finite. The zero
// value is an empty forecast.
type Forecast struct {
	// Model names the method that produced the forecast, for example "ses" or,
	// for Auto, the candidate it chose: "auto(smean168x3)".
	Model string

	Point            []float64
	Lower80, Upper80 []float64
	Lower95, Upper95 []float64
}

// Len returns the horizon of the forecast.
func (f Forecast) Len() int { return len(f.Point) }

// Model is a forecasting method. Implementations in this package are small value
// types whose zero value is usable and which are safe for concurrent use.
type Model interface {
	// Name returns a short lower-case identifier such as "ses" or "hw_add".
	Name() string
	// Forecast fits the model to y (equally spaced, oldest first) and predicts
	// the next h values. It returns ErrNoData, ErrHorizon or ErrNotFinite for
	// unusable input; the forecast it returns never holds NaN or Inf.
	Forecast(y []float64, h int) (Forecast, error)
}

// Errors returned for input no model can use.
var (
	// ErrNoData means the series is empty.
	ErrNoData = errors.New("forecast: empty series")
	// ErrHorizon means the horizon h is not positive.
	ErrHorizon = errors.New("forecast: horizon must be positive")
	// ErrNotFinite means the series holds NaN or ±Inf.
	ErrNotFinite = errors.New("forecast: series holds NaN or Inf")
)

// fit is what a model's core computes on a scaled series: point forecasts and
// the standard deviation of the forecast error at every step.
type fit struct {
	point []float64
	sd    []float64
	// df is the degrees of freedom of a Student t used for the intervals; zero
	// means the normal distribution.
	df float64
}

// checkInput reports why y and h cannot be forecast, or nil.
func checkInput(y []float64, h int) error {
	if len(y) == 0 {
		return ErrNoData
	}
	if h <= 0 {
		return ErrHorizon
	}
	for _, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return ErrNotFinite
		}
	}
	return nil
}

// run validates the input, scales the series so its largest magnitude is 1 (so
// squared errors cannot overflow on huge data nor vanish on tiny data), calls
// core and turns its fit into a Forecast in the original units.
func run(name string, y []float64, h int, core func(y []float64, h int) (fit, error)) (Forecast, error) {
	if err := checkInput(y, h); err != nil {
		return Forecast{}, err
	}
	scale := 0.0
	for _, v := range y {
		scale = math.Max(scale, math.Abs(v))
	}
	if scale == 0 {
		scale = 1
	}
	ys := make([]float64, len(y))
	for i, v := range y {
		ys[i] = v / scale
	}
	r, err := core(ys, h)
	if err != nil {
		return Forecast{}, fmt.Errorf("forecast: %s: %w", name, err)
	}
	for _, v := range r.point {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Forecast{}, fmt.Errorf("forecast: %s: numerical failure", name)
		}
	}
	for i := range r.point {
		r.point[i] *= scale
		r.sd[i] *= scale
	}
	return withIntervals(name, r), nil
}
