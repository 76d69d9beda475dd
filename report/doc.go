// Package report models usage reports and writes them as CSV, JSON, XLSX and PDF.
// It is pure: a report is plain data (a Summary, Detailed, Forecast or Anomalies),
// made by the caller — usage.Meter.GenerateReport makes them from a Meter's store
// — and Write renders it to any io.Writer.
//
// Every row names its subject, its time zone (dates and times are shown in it) and,
// for amounts, its currency, since a report of all subjects mixes them.
//
// # Formats
//
// CSV is RFC 4180 in UTF-8: a header row of the column keys, CRLF line ends,
// quantities and amounts as plain decimals ("12500", "25.00"), percentages as
// numbers (85.5 for 85.5 %), dates as 2026-03-01 and times as RFC 3339.
//
// XLSX holds a data sheet with numeric cells (never numbers as text) under number,
// currency, percentage and date formats, a frozen header row, an autofilter (an
// Excel table) and column widths, and a "Charts" sheet of native Excel charts
// of usage against the quota: one line chart per series for the first series of
// a detailed or forecast report, a bar chart of the percentage of quota for a
// summary. The data sheet is streamed, and a streamed sheet takes no chart once
// flushed, hence the separate sheet.
//
// PDF is landscape A4 with a title block, the chart drawn with fpdf's primitives,
// and the table, paginated with its header on every page, and page numbers. It
// embeds the Go fonts of golang.org/x/image as UTF-8 TrueType, so €, accents,
// Greek and Cyrillic print (not CJK: the Go fonts do not cover it). It uses
// codeberg.org/go-pdf/fpdf, the maintained continuation of the archived
// jung-kurt/gofpdf, in pure Go with UTF-8 font embedding.
//
// # Formula injection
//
// A spreadsheet runs a cell that starts with =, +, -, @, tab, CR or LF as a
// formula. In CSV and XLSX every text cell that starts so is prefixed with a single
// quote, and in CSV its field is quoted, as OWASP advises; numbers the library
// computed are numeric cells and stay numbers, negative ones included. JSON and PDF
// carry text as it is.
//
// # JSON schema
//
// One object:
//
//	{
//	  "type":         "summary" | "detailed" | "forecast" | "anomaly",
//	  "title":        string,
//	  "subject":      string ("" for all subjects),
//	  "from", "to":   RFC 3339 times bounding the period, [from, to),
//	  "time_zone":    IANA zone of from and to,
//	  "currency":     ISO 4217 code when the amounts share one, else "",
//	  "generated_at": RFC 3339 time,
//	  "columns":      [{"key": string, "title": string, "type": TYPE}, …],
//	  "rows":         [{KEY: VALUE, …}, …]
//	}
//
// Each row has one member per column, keyed as in "columns" (and as the CSV
// header). By the column's TYPE, VALUE is: "string" a string; "quantity" and
// "money" a string holding an exact decimal ("12500", "0.008", "25.00"), money in
// the currency of the row's "currency" member; "percent" and "number" a JSON number
// (percentages as 85.5); "integer" a JSON integer; "date" a string 2006-01-02 and
// "time" an RFC 3339 string, both in the row's "time_zone"; "boolean" true or
// false. Any VALUE may be null: no value (an unlimited quota has no limit), or a
// number that is not finite — JSON never carries NaN.
//
// # Streaming
//
// CSV, JSON and XLSX are written row by row: a Detailed report's series are pulled
// from its iterator as they are written, so memory does not grow with the rows.
// XLSX rows go to a temporary file through excelize's StreamWriter and the
// package is zipped straight into the writer. A PDF is composed in memory and
// written at the end.
package report
