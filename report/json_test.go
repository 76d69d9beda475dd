package report

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

type jsonDoc struct {
	Type     Type             `json:"type"`
	Subject  string           `json:"subject"`
	From     time.Time        `json:"from"`
	TimeZone string           `json:"time_zone"`
	Currency string           `json:"currency"`
	Columns  []jsonColumn     `json:"columns"`
	Rows     []map[string]any `json:"rows"`
}

func readJSON(t *testing.T, b []byte) jsonDoc {
	t.Helper()
	var doc jsonDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("JSON does not parse: %v\n%s", err, b)
	}
	return doc
}

func TestJSONSummaryWritesAmountsAsStringsAndPercentsAsNumbers(t *testing.T) {
	doc := readJSON(t, render(t, summaryFixture(), JSON))
	if doc.Type != TypeSummary || doc.Subject != "Ωmega Café" || doc.Currency != "EUR" ||
		doc.TimeZone != "Europe/Lisbon" || !doc.From.Equal(march) {
		t.Errorf("head = %+v", doc)
	}
	if len(doc.Rows) != 3+len(injections) {
		t.Fatalf("%d rows, want %d", len(doc.Rows), 3+len(injections))
	}
	r := doc.Rows[0]
	for key, want := range map[string]any{"used": "12500", "limit": "10000", "overage_cost": "25.00",
		"percent": 125.0, "period_start": "2026-03-01", "currency": "EUR", "subject": "Ωmega Café"} {
		if r[key] != want {
			t.Errorf("%s = %#v, want %#v", key, r[key], want)
		}
	}
	if r := doc.Rows[2]; r["limit"] != nil || r["percent"] != nil {
		t.Errorf("unlimited: limit %#v percent %#v, want null", r["limit"], r["percent"])
	}
	// JSON is data, not a spreadsheet: text is written as it is.
	if got := doc.Rows[3]["subject"]; got != injections[0] {
		t.Errorf("subject = %#v, want %q unchanged", got, injections[0])
	}
	types := map[string]string{}
	for _, c := range doc.Columns {
		types[c.Key] = c.Type
	}
	if types["used"] != "quantity" || types["overage_cost"] != "money" || types["percent"] != "percent" {
		t.Errorf("column types = %v", types)
	}
}

func TestJSONWritesTimesAsRFC3339AndNeverNaN(t *testing.T) {
	f := forecastFixture()
	f.Metrics[0].Points[0].Upper95 = math.Inf(1)
	f.Metrics[0].Points[1].Value = math.NaN()
	raw := render(t, f, JSON)
	if strings.Contains(string(raw), "NaN") || strings.Contains(string(raw), "Inf") {
		t.Fatal("the document holds NaN or Inf")
	}
	doc := readJSON(t, raw)
	r := doc.Rows[0]
	if r["upper95"] != nil || doc.Rows[1]["value"] != nil {
		t.Errorf("non-finite numbers = %#v, %#v; want null", r["upper95"], doc.Rows[1]["value"])
	}
	for _, key := range []string{"step_start", "reach100"} {
		s, _ := r[key].(string)
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			t.Errorf("%s = %#v is not RFC 3339", key, r[key])
		}
	}
	if r["expected_cost"] != "13.00" || r["exceed_probability"] != 72.0 {
		t.Errorf("expected_cost %#v exceed_probability %#v", r["expected_cost"], r["exceed_probability"])
	}
	if last := doc.Rows[len(doc.Rows)-1]; last["note"] == "" || last["value"] != nil {
		t.Errorf("a metric without forecast = %#v", last)
	}
}

func TestJSONDetailedStreamsEveryDay(t *testing.T) {
	doc := readJSON(t, render(t, detailedFixture(2), JSON))
	if len(doc.Rows) != 2*2*31 {
		t.Fatalf("%d rows, want %d", len(doc.Rows), 2*2*31)
	}
	if doc.Rows[0]["usage"] != "10" || doc.Rows[0]["date"] != "2026-03-01" {
		t.Errorf("first row = %v", doc.Rows[0])
	}
}
