package report

import (
	"time"

	"github.com/shopspring/decimal"
)

// Forecast is, per subject and metric, predicted usage and what it means for the
// quota of the current billing period.
type Forecast struct {
	Header
	Metrics []MetricForecast
}

// MetricForecast is the forecast of one subject's metric.
type MetricForecast struct {
	Subject  string
	Metric   string
	Unit     string
	TimeZone string
	// Note says why there is no forecast (too little history, say); empty otherwise.
	Note string
	// Points are the forecast steps.
	Points []ForecastPoint
	// HasQuota is false when the metric has no limit to project onto: the fields
	// below are then zero.
	HasQuota bool
	Limit    decimal.Decimal
	Used     decimal.Decimal
	// ExpectedUsage is the usage expected at the period's end.
	ExpectedUsage float64
	// Reach80, Reach90 and Reach100 are when usage is forecast to reach that
	// percentage of the limit: zero when it is not reached in the period, the
	// forecast's time when it had been reached already.
	Reach80, Reach90, Reach100 time.Time
	// ExceedProbability is the probability of ending the period above the limit,
	// in [0, 1].
	ExceedProbability float64
	// ExpectedOverage is the expected usage above the limit, and ExpectedCost its
	// price in Currency.
	ExpectedOverage float64
	ExpectedCost    decimal.Decimal
	Currency        string
}

// ForecastPoint is the forecast of one step.
type ForecastPoint struct {
	// Start is when the step starts.
	Start time.Time
	// Value is the point forecast, with its central 80 % and 95 % intervals.
	Value, Lower80, Upper80, Lower95, Upper95 float64
}

// Type returns TypeForecast.
func (f *Forecast) Type() Type { return TypeForecast }

// Head returns the report's header.
func (f *Forecast) Head() Header { return f.Header }

func (f *Forecast) table() *table {
	t := &table{sheet: "Forecast", columns: []column{
		{"subject", "Subject", kindText, 18}, {"metric", "Metric", kindText, 16},
		{"unit", "Unit", kindText, 10}, {"time_zone", "Time zone", kindText, 16},
		{"step_start", "Step", kindTime, 17}, {"value", "Forecast", kindNumber, 11},
		{"lower80", "Low 80%", kindNumber, 10}, {"upper80", "High 80%", kindNumber, 10},
		{"lower95", "Low 95%", kindNumber, 10}, {"upper95", "High 95%", kindNumber, 10},
		{"limit", "Quota", kindQuantity, 12}, {"used", "Used", kindQuantity, 12},
		{"expected_usage", "Expected at end", kindNumber, 14},
		{"reach80", "80% on", kindTime, 17}, {"reach90", "90% on", kindTime, 17},
		{"reach100", "100% on", kindTime, 17},
		{"exceed_probability", "P(exceed) %", kindPercent, 11},
		{"expected_overage", "Expected overage", kindNumber, 14},
		{"expected_cost", "Expected cost", kindMoney, 13}, {"currency", "Currency", kindText, 9},
		{"note", "Note", kindText, 30},
	}}
	t.zone, t.currency = t.col("time_zone"), t.col("currency")
	t.pdf = []string{"subject", "metric", "step_start", "value", "lower80", "upper80", "lower95", "upper95", "reach100", "exceed_probability", "expected_cost"}
	t.chart = &chart{title: "Forecast with its 95 % interval", kind: chartLines,
		group: []int{t.col("subject"), t.col("metric")}, x: t.col("step_start"),
		ys: []int{t.col("value"), t.col("lower95"), t.col("upper95")}}
	t.rows = func(yield func([]cell) error) error {
		row := make([]cell, len(t.columns))
		for _, m := range f.Metrics {
			points := m.Points
			if len(points) == 0 {
				// One row still says the metric was reported on, and why not.
				points = []ForecastPoint{{}}
			}
			for _, p := range points {
				row[0], row[1], row[2], row[3] = text(m.Subject), text(m.Metric), text(m.Unit), text(m.TimeZone)
				row[4] = at(p.Start)
				for i, v := range []float64{p.Value, p.Lower80, p.Upper80, p.Lower95, p.Upper95} {
					row[5+i] = num(v)
					if p.Start.IsZero() {
						row[5+i] = none()
					}
				}
				for i := 10; i <= 19; i++ {
					row[i] = none()
				}
				if m.HasQuota {
					row[10], row[11], row[12] = dec(m.Limit), dec(m.Used), num(m.ExpectedUsage)
					row[13], row[14], row[15] = at(m.Reach80), at(m.Reach90), at(m.Reach100)
					row[16], row[17] = num(m.ExceedProbability*100), num(m.ExpectedOverage)
					row[18], row[19] = dec(m.ExpectedCost), text(m.Currency)
				}
				row[20] = text(m.Note)
				if err := yield(row); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return t
}
