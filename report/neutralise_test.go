package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCSVSubjectReadsBackNeutralised checks that any subject name makes a CSV
// file that parses, whose subject field reads back as the name itself, or
// prefixed with a single quote when it would start a formula.
func FuzzCSVSubjectReadsBackNeutralised(f *testing.F) {
	for _, s := range injections {
		f.Add(s)
	}
	f.Add(`plain, with "quotes"`)
	f.Add(" leading space")
	f.Fuzz(func(t *testing.T, subject string) {
		if !utf8.ValidString(subject) || strings.ContainsRune(subject, '\r') && !dangerous(subject) {
			t.Skip() // encoding/csv reads a lone CR inside a field as LF
		}
		s := &Summary{Header: header("fuzz", subject), Lines: []SummaryLine{{Subject: subject,
			Metric: "api_calls", PeriodStart: march, PeriodEnd: april, TimeZone: "UTC"}}}
		var buf bytes.Buffer
		if err := Write(&buf, s, CSV); err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(&buf)
		r.LazyQuotes = false
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatalf("CSV of subject %q does not parse: %v", subject, err)
		}
		want := subject
		if dangerous(subject) {
			want = "'" + subject
		}
		// encoding/csv reads a CRLF inside a quoted field as LF.
		norm := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace
		if got := recs[1][0]; got != want && norm(got) != norm(want) {
			t.Errorf("subject %q reads back as %q, want %q", subject, recs[1][0], want)
		}
	})
}
