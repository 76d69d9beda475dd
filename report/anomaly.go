package report

import (
	"strconv"
	"strings"
	"time"
)

// Anomalies lists anomaly records of a period.
type Anomalies struct {
	Header
	Items []Anomaly
}

// Anomaly is one anomaly record.
type Anomaly struct {
	ID      int64
	Subject string
	Metric  string
	// At is when the anomaly starts; TimeZone the subject's zone, in which it is shown.
	At       time.Time
	TimeZone string
	// Method names what found it, which says what Value and Expected measure.
	Method          string
	Value, Expected float64
	// Risk is the risk score from 0 to 100.
	Risk         int
	FraudSuspect bool
	// Reasons are the detectors that fired, strongest first, for people.
	Reasons []string
	// Status is the review status, such as "open".
	Status string
}

// Type returns TypeAnomaly.
func (a *Anomalies) Type() Type { return TypeAnomaly }

// Head returns the report's header.
func (a *Anomalies) Head() Header { return a.Header }

func (a *Anomalies) table() *table {
	t := &table{sheet: "Anomalies", currency: -1, columns: []column{
		{"id", "ID", kindInt, 8}, {"subject", "Subject", kindText, 18},
		{"metric", "Metric", kindText, 16}, {"at", "At", kindTime, 18},
		{"time_zone", "Time zone", kindText, 16}, {"method", "Method", kindText, 11},
		{"value", "Value", kindNumber, 12}, {"expected", "Expected", kindNumber, 12},
		{"risk", "Risk", kindInt, 6}, {"fraud_suspect", "Fraud suspect", kindBool, 8},
		{"reasons", "Reasons", kindText, 36}, {"status", "Status", kindText, 13},
	}}
	t.zone = t.col("time_zone")
	t.pdf = []string{"subject", "metric", "at", "method", "value", "expected", "risk", "fraud_suspect", "reasons", "status"}
	t.rows = func(yield func([]cell) error) error {
		row := make([]cell, len(t.columns))
		for _, x := range a.Items {
			row[0], row[1], row[2], row[3] = integer(x.ID), text(x.Subject), text(x.Metric), at(x.At)
			row[4], row[5], row[6], row[7] = text(x.TimeZone), text(x.Method), num(x.Value), num(x.Expected)
			row[8], row[9] = integer(int64(x.Risk)), boolean(x.FraudSuspect)
			row[10], row[11] = text(strings.Join(x.Reasons, "; ")), text(x.Status)
			if err := yield(row); err != nil {
				return err
			}
		}
		return nil
	}
	return t
}

// ReasonText formats a detector's finding for Anomaly.Reasons: its name, its
// statistic and its score, as in "zscore 6.25 (score 0.97)".
func ReasonText(detector string, stat, score float64) string {
	return detector + " " + strconv.FormatFloat(stat, 'g', 4, 64) + " (score " +
		strconv.FormatFloat(score, 'f', 2, 64) + ")"
}
