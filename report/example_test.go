package report_test

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/usagekit/usage/report"
)

// A summary of one subject written as CSV: amounts are plain decimals, and a
// subject name that would start a formula is neutralised.
func ExampleWrite() {
	march := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	s := &report.Summary{
		Header: report.Header{Title: "Usage summary", Subject: "acme", From: march,
			To: march.AddDate(0, 1, 0), TimeZone: "UTC", Currency: "EUR"},
		Lines: []report.SummaryLine{
			{Subject: "acme", Metric: "api_calls", Unit: "calls", PeriodStart: march,
				PeriodEnd: march.AddDate(0, 1, 0), TimeZone: "UTC", Used: decimal.NewFromInt(10250),
				Limit: decimal.NewFromInt(10000), Percent: 102.5, Overage: decimal.NewFromInt(250),
				OverageCost: decimal.RequireFromString("0.20"), Currency: "EUR",
				Alerts: report.CrossedThresholds(102.5)},
			{Subject: "=HYPERLINK(\"http://x\")", Metric: "documents", Unit: "documents",
				PeriodStart: march, PeriodEnd: march.AddDate(0, 1, 0), TimeZone: "UTC",
				Used: decimal.NewFromInt(12), Limit: decimal.NewFromInt(500), Percent: 2.4,
				Overage: decimal.Zero, OverageCost: decimal.Zero, Currency: "EUR"},
		},
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, s, report.CSV); err != nil {
		panic(err)
	}
	// CSV lines end in CRLF, as RFC 4180 asks; shown here with LF.
	fmt.Print(strings.ReplaceAll(buf.String(), "\r\n", "\n"))
	// Output:
	// subject,metric,unit,period_start,period_end,time_zone,used,limit,percent,overage,overage_cost,currency,alerts
	// acme,api_calls,calls,2026-03-01,2026-03-31,UTC,10250,10000,102.5,250,0.20,EUR,"80%, 90%, 100%"
	// "'=HYPERLINK(""http://x"")",documents,documents,2026-03-01,2026-03-31,UTC,12,500,2.4,0,0.00,EUR,
}
