package report

import (
	"iter"
	"math"
	"time"

	"github.com/shopspring/decimal"
)

// Detailed is day-by-day usage per subject and metric. Its series are produced
// while the report is written, so a report of many subjects and days is never held
// in memory whole.
type Detailed struct {
	Header
	// Series yields the series in order, or an error that stops the report.
	Series iter.Seq2[Series, error]
}

// Series is one subject's usage of one metric, day by day.
type Series struct {
	Subject  string
	Metric   string
	Unit     string
	TimeZone string
	Days     []Day
	// Total is the usage over the days; PreviousTotal over as many days just before.
	Total, PreviousTotal decimal.Decimal
	// Trend is the direction of the daily usage.
	Trend Trend
	// PeakDay is the day of most usage; PeakHour the start of the hour of most usage.
	// Both are zero when there was no usage.
	PeakDay, PeakHour time.Time
}

// Day is the usage of one day.
type Day struct {
	// Date is the day's midnight in the series' time zone.
	Date time.Time
	// Usage is the day's usage; Cumulative the usage of the billing period up to
	// the day's end.
	Usage, Cumulative decimal.Decimal
	// Limit is the quota of the billing period holding the day, unless Unlimited.
	Limit     decimal.Decimal
	Unlimited bool
}

// ChangePercent returns the change of Total against PreviousTotal in percent, and
// false when there was no usage before to compare with.
func (s *Series) ChangePercent() (float64, bool) {
	if s.PreviousTotal.IsZero() {
		return 0, false
	}
	return s.Total.Sub(s.PreviousTotal).Div(s.PreviousTotal).InexactFloat64() * 100, true
}

// Trend is the direction of a series.
type Trend string

// The trends.
const (
	TrendUp   Trend = "up"
	TrendDown Trend = "down"
	TrendFlat Trend = "flat"
)

// TrendOf returns the direction of values by the slope of their least-squares
// line: up or down when the line moves by more than a tenth of the mean over the
// values, else flat.
func TrendOf(values []float64) Trend {
	n := float64(len(values))
	if n < 2 {
		return TrendFlat
	}
	var sx, sy, sxy, sxx float64
	for i, v := range values {
		x := float64(i)
		sx, sy, sxy, sxx = sx+x, sy+v, sxy+x*v, sxx+x*x
	}
	slope := (n*sxy - sx*sy) / (n*sxx - sx*sx)
	mean := sy / n
	move := slope * (n - 1)
	switch {
	case math.IsNaN(move) || math.Abs(move) <= 0.1*math.Abs(mean):
		return TrendFlat
	case move > 0:
		return TrendUp
	default:
		return TrendDown
	}
}

// Type returns TypeDetailed.
func (d *Detailed) Type() Type { return TypeDetailed }

// Head returns the report's header.
func (d *Detailed) Head() Header { return d.Header }

func (d *Detailed) table() *table {
	t := &table{sheet: "Daily usage", currency: -1, columns: []column{
		{"subject", "Subject", kindText, 18}, {"metric", "Metric", kindText, 16},
		{"unit", "Unit", kindText, 10}, {"time_zone", "Time zone", kindText, 16},
		{"date", "Date", kindDate, 12}, {"usage", "Usage", kindQuantity, 13},
		{"cumulative", "Period to date", kindQuantity, 14}, {"limit", "Quota", kindQuantity, 13},
		{"trend", "Trend", kindText, 7}, {"total", "Total", kindQuantity, 14},
		{"previous_total", "Previous period", kindQuantity, 15},
		{"change_percent", "Change %", kindPercent, 10}, {"peak_day", "Peak day", kindDate, 12},
		{"peak_hour", "Peak hour", kindTime, 17},
	}}
	t.zone = t.col("time_zone")
	t.pdf = []string{"subject", "metric", "date", "usage", "cumulative", "limit", "trend", "change_percent", "peak_hour"}
	t.chart = &chart{title: "Usage against the quota", kind: chartLines,
		group: []int{t.col("subject"), t.col("metric")}, x: t.col("date"),
		ys: []int{t.col("cumulative"), t.col("limit")}}
	t.rows = func(yield func([]cell) error) error {
		if d.Series == nil {
			return nil
		}
		row := make([]cell, len(t.columns))
		for s, err := range d.Series {
			if err != nil {
				return err
			}
			change, ok := s.ChangePercent()
			for _, day := range s.Days {
				row[0], row[1], row[2], row[3] = text(s.Subject), text(s.Metric), text(s.Unit), text(s.TimeZone)
				row[4], row[5], row[6] = at(day.Date), dec(day.Usage), dec(day.Cumulative)
				row[7], row[8] = decOrNone(day.Limit, !day.Unlimited), text(string(s.Trend))
				row[9], row[10] = dec(s.Total), dec(s.PreviousTotal)
				row[11] = num(change)
				if !ok {
					row[11] = none()
				}
				row[12], row[13] = at(s.PeakDay), at(s.PeakHour)
				if err := yield(row); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return t
}
