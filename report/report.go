package report

import (
	"fmt"
	"io"
	"time"
)

// Type names the kind of a report.
type Type string

// The report types.
const (
	// TypeSummary is per metric the period's usage, quota percentage, overage, its
	// cost and the alert thresholds crossed.
	TypeSummary Type = "summary"
	// TypeDetailed is day-by-day usage per metric with its trend, the comparison
	// with the previous period and the peak times.
	TypeDetailed Type = "detailed"
	// TypeForecast is predicted usage with its intervals and what it means for the
	// quota.
	TypeForecast Type = "forecast"
	// TypeAnomaly lists anomalies with their scores and review status.
	TypeAnomaly Type = "anomaly"
)

// Types returns the report types, in the order the documentation lists them.
func Types() []Type { return []Type{TypeSummary, TypeDetailed, TypeForecast, TypeAnomaly} }

// Format names how a report is written.
type Format string

// The formats.
const (
	// CSV is RFC 4180 text in UTF-8 with a header row; amounts are plain decimals.
	CSV Format = "csv"
	// JSON is a single document (see the package documentation for its schema).
	JSON Format = "json"
	// XLSX is an Excel workbook with typed, formatted cells and a chart.
	XLSX Format = "xlsx"
	// PDF is a printable document with a title block, tables and a chart.
	PDF Format = "pdf"
)

// Formats returns the formats, in the order the documentation lists them.
func Formats() []Format { return []Format{CSV, JSON, XLSX, PDF} }

// Ext returns the file name extension of the format, without the dot.
func (f Format) Ext() string { return string(f) }

// ContentType returns the format's media type, for an HTTP download.
func (f Format) ContentType() string {
	switch f {
	case CSV:
		return "text/csv; charset=utf-8"
	case JSON:
		return "application/json"
	case XLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case PDF:
		return "application/pdf"
	}
	return "application/octet-stream"
}

// Valid reports whether f is one of Formats().
func (f Format) Valid() bool {
	return f == CSV || f == JSON || f == XLSX || f == PDF
}

// Valid reports whether t is one of Types().
func (t Type) Valid() bool {
	return t == TypeSummary || t == TypeDetailed || t == TypeForecast || t == TypeAnomaly
}

// Header says what a report covers. Rows carry their own subject, time zone and
// currency as well, since a report of all subjects mixes them.
type Header struct {
	// Title is the report's title, for people.
	Title string
	// Subject is the subject reported on; empty for all subjects.
	Subject string
	// From and To bound the period or date range reported on, [From, To).
	From, To time.Time
	// TimeZone is the IANA zone in which dates are shown: the subject's, or "UTC"
	// for a report of several subjects.
	TimeZone string
	// Currency is the ISO 4217 code of the amounts when they share one; empty when
	// rows differ (each row names its own).
	Currency string
	// GeneratedAt is when the report was made.
	GeneratedAt time.Time
}

// location returns the header's time zone, UTC when it names none or an unknown one.
func (h Header) location() *time.Location {
	if loc, err := time.LoadLocation(h.TimeZone); err == nil && h.TimeZone != "" {
		return loc
	}
	return time.UTC
}

// Report is one of Summary, Detailed, Forecast and Anomalies.
type Report interface {
	// Type returns the report's type.
	Type() Type
	// Head returns what the report covers.
	Head() Header
	table() *table
}

// Write renders r to w in format f. CSV, JSON and XLSX are written row by row, in
// memory that does not grow with the number of rows (XLSX keeps per row only what
// its chart references, for a bounded number of series); PDF is composed in memory
// and written at the end, so it suits reports meant to be printed. Write does not
// close w.
func Write(w io.Writer, r Report, f Format) error {
	var err error
	switch f {
	case CSV:
		err = writeCSV(w, r.table())
	case JSON:
		err = writeJSON(w, r.Type(), r.Head(), r.table())
	case XLSX:
		err = writeXLSX(w, r.Head(), r.table())
	case PDF:
		err = writePDF(w, r.Head(), r.table())
	default:
		return fmt.Errorf("report: unknown format %q: want csv, json, xlsx or pdf", f)
	}
	if err != nil {
		return fmt.Errorf("report: write %s %s: %w", r.Type(), f, err)
	}
	return nil
}
