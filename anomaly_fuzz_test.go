package usage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
)

// FuzzAnomalyFilter passes arbitrary filter fields and notes to Meter.Anomalies and
// Meter.SetAnomalyStatus on SQLite: each call returns a *ValidationError or succeeds,
// never a database error, and a note taken comes back verbatim. The seeds run in
// every go test; scripts/test fuzzes for a short while.
func FuzzAnomalyFilter(f *testing.F) {
	for _, s := range hostileStrings {
		f.Add(s, "credits", "ensemble", s)
		f.Add("acme", s, s, "note")
	}
	f.Add("acme", "credits", "ensemble", "line one\nline two\ttabbed")
	ctx := context.Background()
	st, _ := testdb.SQLite().OpenNew(f)
	c := &clock{now: time.Now()}
	m, err := usage.New(st, e2eConfig(c.Now))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { m.Close(ctx) })
	res, err := st.InsertAnomalies(ctx, &store.InsertAnomaliesParams{Anomalies: []store.Anomaly{{
		Subject: "acme", Metric: "credits", At: c.now.Truncate(time.Hour), Method: "ensemble",
		Status: string(usage.AnomalyOpen), CreatedAt: c.now, UpdatedAt: c.now}}})
	if err != nil {
		f.Fatal(err)
	}
	id := res.Inserted[0].ID

	f.Fuzz(func(t *testing.T, subject, metric, method, note string) {
		_, err := m.Anomalies(ctx, usage.AnomalyFilter{Subject: subject, Metric: metric,
			Method: usage.AnomalyMethod(method), Limit: 10})
		var ve *usage.ValidationError
		if err != nil && !errors.As(err, &ve) {
			t.Fatalf("Anomalies(%q, %q, %q): %v", subject, metric, method, err)
		}
		a, err := m.SetAnomalyStatus(ctx, id, usage.AnomalyInvestigating, note)
		switch {
		case err != nil && !errors.As(err, &ve):
			t.Fatalf("SetAnomalyStatus(%q): %v", note, err)
		case err == nil && a.Note != note:
			t.Fatalf("note %q came back as %q", note, a.Note)
		}
	})
}
