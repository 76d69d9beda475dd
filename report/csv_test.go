package report

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"
)

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	return recs
}

func TestCSVSummaryHasAHeaderAndPlainDecimals(t *testing.T) {
	recs := readCSV(t, render(t, summaryFixture(), CSV))
	want := []string{"subject", "metric", "unit", "period_start", "period_end", "time_zone", "used",
		"limit", "percent", "overage", "overage_cost", "currency", "alerts"}
	if !slices.Equal(recs[0], want) {
		t.Fatalf("header = %q, want %q", recs[0], want)
	}
	got := recs[1]
	for i, w := range []string{"Ωmega Café", "api_calls", "calls", "2026-03-01", "2026-03-31",
		"Europe/Lisbon", "12500", "10000", "125", "2500", "25.00", "EUR", "80%, 90%, 100%"} {
		if got[i] != w {
			t.Errorf("%s = %q, want %q", recs[0][i], got[i], w)
		}
	}
	unlimited := recs[3]
	if unlimited[7] != "" || unlimited[8] != "" {
		t.Errorf("an unlimited quota has limit %q and percent %q, want empty fields", unlimited[7], unlimited[8])
	}
}

func TestCSVNeutralisesFormulasButNotOurNumbers(t *testing.T) {
	raw := render(t, summaryFixture(), CSV)
	recs := readCSV(t, raw)
	for _, inj := range injections {
		if !strings.Contains(string(raw), `"'`+strings.ReplaceAll(inj, `"`, `""`)+`"`) {
			t.Errorf("%q is not written as a quoted field prefixed with a single quote", inj)
		}
	}
	for _, rec := range recs[1:] {
		for i, f := range rec {
			if recs[0][i] == "subject" || recs[0][i] == "metric" {
				if dangerous(f) {
					t.Errorf("field %s = %q starts a formula", recs[0][i], f)
				}
			}
		}
	}
	// Our own negative numbers start with "-" and stay numbers.
	if used, cost := recs[3][6], recs[3][10]; used != "-3" || cost != "-1.50" {
		t.Errorf("negative used and cost = %q, %q; want -3 and -1.50, unquoted numbers", used, cost)
	}
	if !strings.Contains(string(raw), ",-3,") {
		t.Error("the negative quantity was quoted or prefixed")
	}
}

func TestCSVDetailedHasARowPerDay(t *testing.T) {
	recs := readCSV(t, render(t, detailedFixture(3), CSV))
	if got, want := len(recs)-1, 3*2*31; got != want {
		t.Fatalf("%d rows, want %d", got, want)
	}
	h := recs[0]
	row := recs[31] // api_calls of the first subject, last day
	get := func(key string) string { return row[slices.Index(h, key)] }
	for key, want := range map[string]string{"date": "2026-03-31", "usage": "40", "cumulative": "775",
		"limit": "600", "trend": "up", "total": "775", "previous_total": "300",
		"peak_hour": "2026-03-31T14:00:00+01:00"} {
		if got := get(key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if got := get("change_percent"); !strings.HasPrefix(got, "158.3") {
		t.Errorf("change_percent = %q, want 158.3…", got)
	}
}

func TestCSVEndsLinesWithCRLF(t *testing.T) {
	raw := render(t, anomalyFixture(), CSV)
	lines := strings.Split(strings.TrimSuffix(string(raw), "\r\n"), "\r\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "id,subject,metric,at") {
		t.Fatalf("lines = %q", lines[:min(2, len(lines))])
	}
}
