package usage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/usagekit/usage/report"
	"github.com/usagekit/usage/store"
)

// ReportRequest says which report GenerateReport writes.
type ReportRequest struct {
	Type   report.Type
	Format report.Format
	// Subject is the subject reported on. Empty reports on every subject with usage
	// since the start of the range (or of the billing period before At's).
	Subject string
	// At selects, for each subject, its billing period that holds At. Zero means
	// now. It is ignored when From is set.
	At time.Time
	// From and To select a date range [From, To) instead of a billing period. A
	// summary covers the billing periods that overlap it; a detailed report its
	// days, from the midnight of From's day in the subject's time zone.
	From, To time.Time
}

func (r ReportRequest) validate() error {
	switch {
	case !r.Type.Valid():
		return invalid("type", "%q: want summary, detailed, forecast or anomaly", r.Type)
	case !r.Format.Valid():
		return invalid("format", "%q: want csv, json, xlsx or pdf", r.Format)
	case r.From.IsZero() != r.To.IsZero():
		return invalid("to", "set both From and To for a date range, or neither for a billing period")
	case !r.From.IsZero() && !r.From.Before(r.To):
		return invalid("to", "%s is not after From %s", r.To.Format(time.RFC3339), r.From.Format(time.RFC3339))
	case r.Subject != "":
		return checkName("subject", r.Subject, true)
	}
	return nil
}

// GenerateReport writes a report to w (see package report for the types and
// formats). Detailed reports are produced subject by subject while they are
// written, so CSV, JSON and XLSX output over many subjects and days takes memory
// that does not grow with the rows.
//
// The analytics of usage are built here on the store's hourly rollups: a detailed
// report's days are the rollups folded into days in the subject's time zone (like
// Forecast's steps), up to today; the summary's alerts are the thresholds of 80, 90
// and 100 % of the limit that the usage has crossed (report.CrossedThresholds). A
// forecast report calls Forecast for each metric, which stores the forecast; a
// metric with too little history is reported with a note. Metrics counting
// distinct values (unique_count) are left out of detailed and forecast reports:
// the rollups do not keep distinct values.
func (m *Meter) GenerateReport(ctx context.Context, req ReportRequest, w io.Writer) error {
	if err := m.checkOpen(); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	rep, err := m.buildReport(ctx, req)
	if err != nil {
		return err
	}
	return report.Write(w, rep, req.Format)
}

// buildReport makes the model of the report req asks for.
func (m *Meter) buildReport(ctx context.Context, req ReportRequest) (report.Report, error) {
	subjects, err := m.reportSubjects(ctx, req)
	if err != nil {
		return nil, err
	}
	head, err := m.reportHeader(ctx, req, subjects)
	if err != nil {
		return nil, err
	}
	switch req.Type {
	case report.TypeSummary:
		return m.summaryReport(ctx, req, head, subjects)
	case report.TypeDetailed:
		return m.detailedReport(ctx, req, head, subjects), nil
	case report.TypeForecast:
		return m.forecastReport(ctx, head, subjects)
	default:
		return m.anomalyReport(ctx, head, subjects)
	}
}

// reportRange is the range a report covers for one subject, in its time zone, and
// the subject's invoice of the period holding the range's start.
type reportRange struct {
	from, to time.Time
	loc      *time.Location
	invoice  Invoice
}

// subjectRange resolves req's period or date range for subject. The subject's time
// zone is that of its billing periods.
func (m *Meter) subjectRange(ctx context.Context, req ReportRequest, subject string) (reportRange, error) {
	at := cmp.Or(req.From, req.At, m.now())
	inv, err := m.Invoice(ctx, subject, at)
	if err != nil {
		return reportRange{}, err
	}
	r := reportRange{from: inv.Period.Start, to: inv.Period.End, loc: inv.Period.Start.Location(), invoice: inv}
	if !req.From.IsZero() {
		f := req.From.In(r.loc)
		r.from = time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, r.loc)
		r.to = req.To.In(r.loc)
	}
	return r, nil
}

// reportSubjects returns the subject of req, or every subject with usage since
// the start of the range (for a billing period: since a period before At).
func (m *Meter) reportSubjects(ctx context.Context, req ReportRequest) ([]string, error) {
	if req.Subject != "" {
		return []string{req.Subject}, nil
	}
	since := req.From
	if since.IsZero() {
		since = cmp.Or(req.At, m.now()).AddDate(0, -2, 0)
	}
	var out []string
	var after store.SeriesKey
	for {
		res, err := m.store.ListActiveSeries(ctx, &store.ListActiveSeriesParams{Since: since, After: after, Limit: 1000})
		if err != nil {
			return nil, fmt.Errorf("usage: report: list subjects: %w", err)
		}
		for _, k := range res.Series {
			if n := len(out); n == 0 || out[n-1] != k.Subject {
				out = append(out, k.Subject)
			}
		}
		if len(res.Series) < 1000 {
			return out, nil
		}
		after = res.Series[len(res.Series)-1]
	}
}

// reportHeader says what the report covers: the subject's range, zone and
// currency for one subject; for all subjects, the request's range in UTC.
func (m *Meter) reportHeader(ctx context.Context, req ReportRequest, subjects []string) (report.Header, error) {
	now := m.now()
	h := report.Header{Subject: req.Subject, GeneratedAt: now, TimeZone: "UTC"}
	h.Title = map[report.Type]string{report.TypeSummary: "Usage summary", report.TypeDetailed: "Daily usage",
		report.TypeForecast: "Usage forecast", report.TypeAnomaly: "Usage anomalies"}[req.Type]
	if req.Subject != "" {
		h.Title += " — " + req.Subject
		r, err := m.subjectRange(ctx, req, req.Subject)
		if err != nil {
			return h, err
		}
		h.From, h.To, h.TimeZone, h.Currency = r.from, r.to, r.loc.String(), r.invoice.Currency
		return h, nil
	}
	h.From, h.To = req.From, req.To
	if req.From.IsZero() {
		at := cmp.Or(req.At, now).UTC()
		h.From = time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, time.UTC)
		h.To = h.From.AddDate(0, 1, 0)
	}
	return h, nil
}

// summaryReport is, per subject, a line per metric of each billing period that
// overlaps the range, from the period's invoice.
func (m *Meter) summaryReport(ctx context.Context, req ReportRequest, head report.Header, subjects []string) (*report.Summary, error) {
	s := &report.Summary{Header: head}
	for _, subject := range subjects {
		r, err := m.subjectRange(ctx, req, subject)
		if err != nil {
			return nil, err
		}
		inv := r.invoice
		for {
			for _, l := range inv.Lines {
				if !l.Adjustment {
					s.Lines = append(s.Lines, summaryLine(inv, l, r.loc))
				}
			}
			if !inv.Period.End.Before(r.to) {
				break
			}
			if inv, err = m.Invoice(ctx, subject, inv.Period.End); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

func summaryLine(inv Invoice, l LineItem, loc *time.Location) report.SummaryLine {
	line := report.SummaryLine{Subject: inv.Subject, Metric: l.Metric, Unit: l.Unit,
		PeriodStart: l.Period.Start, PeriodEnd: l.Period.End, TimeZone: loc.String(),
		Used: l.Used.Decimal(), Limit: l.Included.Decimal(), Unlimited: l.Unlimited,
		Overage: l.Over.Decimal(), OverageCost: l.Amount.Amount, Currency: inv.Currency}
	if !l.Unlimited && !l.Included.IsZero() {
		// In decimals, so 23137 of 10000 is 231.37, not 231.36999999999998.
		line.Percent = l.Used.Decimal().Shift(2).Div(l.Included.Decimal()).Round(4).InexactFloat64()
		line.Alerts = report.CrossedThresholds(line.Percent)
	}
	return line
}

// forecastReport forecasts each metric of each subject's plan.
func (m *Meter) forecastReport(ctx context.Context, head report.Header, subjects []string) (*report.Forecast, error) {
	f := &report.Forecast{Header: head}
	for _, subject := range subjects {
		inv, err := m.Invoice(ctx, subject, time.Time{})
		if err != nil {
			return nil, err
		}
		loc := inv.Period.Start.Location()
		for _, l := range inv.Lines {
			if l.Adjustment || l.Aggregation == AggregationUniqueCount {
				continue
			}
			mf := report.MetricForecast{Subject: subject, Metric: l.Metric, Unit: l.Unit, TimeZone: loc.String()}
			fc, err := m.Forecast(ctx, subject, l.Metric, ForecastOptions{})
			switch {
			case errors.Is(err, ErrInsufficientHistory):
				mf.Note = err.Error()
			case err != nil:
				return nil, err
			default:
				fillForecast(&mf, fc)
			}
			f.Metrics = append(f.Metrics, mf)
		}
	}
	return f, nil
}

func fillForecast(mf *report.MetricForecast, fc Forecast) {
	for _, p := range fc.Points {
		mf.Points = append(mf.Points, report.ForecastPoint{Start: p.Start, Value: p.Value,
			Lower80: p.Lower80, Upper80: p.Upper80, Lower95: p.Lower95, Upper95: p.Upper95})
	}
	q := fc.Quota
	if q == nil {
		return
	}
	mf.HasQuota, mf.Limit, mf.Used = true, q.Limit.Decimal(), q.Used.Decimal()
	mf.ExpectedUsage, mf.ExceedProbability, mf.ExpectedOverage = q.ExpectedUsage, q.ExceedProbability, q.ExpectedOverage
	mf.ExpectedCost, mf.Currency = q.ExpectedCost.Amount, q.ExpectedCost.Currency
	for _, c := range q.Crossings {
		when := c.At
		if c.Already {
			when = fc.GeneratedAt
		}
		switch c.Percent {
		case 80:
			mf.Reach80 = when
		case 90:
			mf.Reach90 = when
		case 100:
			mf.Reach100 = when
		}
	}
}

// anomalyReport lists the anomalies of the subjects in the header's range, a page
// at a time.
func (m *Meter) anomalyReport(ctx context.Context, head report.Header, subjects []string) (*report.Anomalies, error) {
	a := &report.Anomalies{Header: head}
	zones := map[string]string{}
	for _, subject := range subjects {
		inv, err := m.Invoice(ctx, subject, head.From)
		if err != nil {
			return nil, err
		}
		zones[subject] = inv.Period.Start.Location().String()
	}
	filter := AnomalyFilter{Subject: head.Subject, From: head.From, To: head.To, Limit: MaxAnomalyListLimit}
	for {
		page, err := m.Anomalies(ctx, filter)
		if err != nil {
			return nil, err
		}
		for _, x := range page {
			item := report.Anomaly{ID: x.ID, Subject: x.Subject, Metric: x.Metric, At: x.At,
				TimeZone: cmp.Or(zones[x.Subject], "UTC"), Method: string(x.Method), Value: x.Value,
				Expected: x.Expected, Risk: x.Risk, FraudSuspect: x.FraudSuspect, Status: string(x.Status)}
			for _, r := range x.Reasons {
				item.Reasons = append(item.Reasons, report.ReasonText(r.Detector, r.Stat, r.Value))
			}
			a.Items = append(a.Items, item)
		}
		if len(page) < MaxAnomalyListLimit {
			return a, nil
		}
		filter.AfterID = page[len(page)-1].ID
	}
}
