package report

import (
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Summary is, per subject and metric, a billing period's usage against the quota.
type Summary struct {
	Header
	Lines []SummaryLine
}

// SummaryLine is one metric of one subject in one billing period.
type SummaryLine struct {
	Subject string
	Metric  string
	Unit    string
	// PeriodStart and PeriodEnd bound the billing period, [PeriodStart, PeriodEnd).
	PeriodStart, PeriodEnd time.Time
	// TimeZone is the subject's IANA time zone.
	TimeZone string
	// Used is the period's usage; Limit the quota (meaningless when Unlimited).
	Used, Limit decimal.Decimal
	Unlimited   bool
	// Percent is Used as a percentage of Limit; zero when Unlimited or Limit is zero.
	Percent float64
	// Overage is the usage above Limit, and OverageCost what it costs, in Currency.
	Overage, OverageCost decimal.Decimal
	Currency             string
	// Alerts are the alert thresholds crossed, in percent of the limit: 80, 90, 100.
	Alerts []int
}

// CrossedThresholds returns the alert thresholds a summary reports, 80, 90 and
// 100 % of the limit, that percent has reached.
func CrossedThresholds(percent float64) []int {
	var out []int
	for _, t := range []int{80, 90, 100} {
		if percent >= float64(t) {
			out = append(out, t)
		}
	}
	return out
}

// Type returns TypeSummary.
func (s *Summary) Type() Type { return TypeSummary }

// Head returns the report's header.
func (s *Summary) Head() Header { return s.Header }

func (s *Summary) table() *table {
	t := &table{sheet: "Summary", columns: []column{
		{"subject", "Subject", kindText, 18}, {"metric", "Metric", kindText, 16},
		{"unit", "Unit", kindText, 10}, {"period_start", "Period start", kindDate, 12},
		{"period_end", "Period end", kindDate, 12}, {"time_zone", "Time zone", kindText, 16},
		{"used", "Used", kindQuantity, 14}, {"limit", "Limit", kindQuantity, 14},
		{"percent", "% of quota", kindPercent, 11}, {"overage", "Overage", kindQuantity, 12},
		{"overage_cost", "Overage cost", kindMoney, 14}, {"currency", "Currency", kindText, 9},
		{"alerts", "Alerts", kindText, 14},
	}}
	t.zone, t.currency = t.col("time_zone"), t.col("currency")
	t.pdf = []string{"subject", "metric", "unit", "period_start", "used", "limit", "percent", "overage", "overage_cost", "alerts"}
	t.chart = &chart{title: "Usage against the quota", kind: chartBars,
		x: t.col("metric"), ys: []int{t.col("percent")}}
	t.rows = func(yield func([]cell) error) error {
		row := make([]cell, len(t.columns))
		for _, l := range s.Lines {
			// The period end is exclusive: the last day shown is the day before.
			end := l.PeriodEnd.Add(-time.Nanosecond)
			row[0], row[1], row[2] = text(l.Subject), text(l.Metric), text(l.Unit)
			row[3], row[4], row[5] = at(l.PeriodStart), at(end), text(l.TimeZone)
			row[6], row[7] = dec(l.Used), decOrNone(l.Limit, !l.Unlimited)
			row[8] = num(l.Percent)
			if l.Unlimited {
				row[8] = none()
			}
			row[9], row[10], row[11] = dec(l.Overage), dec(l.OverageCost), text(l.Currency)
			row[12] = text(alerts(l.Alerts))
			if err := yield(row); err != nil {
				return err
			}
		}
		return nil
	}
	return t
}

// alerts writes thresholds as "80%, 90%".
func alerts(ts []int) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = strconv.Itoa(t) + "%"
	}
	return strings.Join(parts, ", ")
}
