package usage

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"
)

func TestTrackRefusesInvalid(t *testing.T) {
	t.Parallel()

	m := newTestMeter(t, &Config{Metrics: ExampleMetrics(), Plans: ExamplePlans(), DefaultPlan: "basic",
		Test: TestConfig{Time: func() time.Time { return eventNow }}})
	ctx := context.Background()

	_, err := m.Track(ctx, Event{Subject: "acme", Metric: MetricAPICalls, Value: math.NaN()})
	checkValidationError(t, err, "value", "NaN is not a number")

	events := []Event{
		{Subject: "acme", Metric: MetricAPICalls, Value: 1},
		{Subject: "acme", Metric: MetricDocuments, Value: 2},
		{Subject: "globex", Metric: MetricStorageGB, Value: 3},
		{Subject: "acme", Metric: MetricAPICalls, Value: math.Inf(1)},
	}
	results, err := m.TrackBatch(ctx, events)
	checkValidationError(t, err, "events[3].value", "infinity is not a quantity")
	if results != nil {
		t.Fatalf("TrackBatch returned results %v with a validation error", results)
	}
}

func TestCheckQuotaRefusesInvalid(t *testing.T) {
	t.Parallel()

	m := newTestMeter(t, &Config{Metrics: ExampleMetrics(), Plans: ExamplePlans()})
	ctx := context.Background()
	tests := []struct {
		name, subject, metric string
		n                     float64
		field, reason         string
	}{
		{"NaN", "acme", MetricAPICalls, math.NaN(), "n", "NaN is not a number"},
		{"+Inf", "acme", MetricAPICalls, math.Inf(1), "n", "infinity is not a quantity"},
		{"zero", "acme", MetricAPICalls, 0, "n", "must be positive"},
		{"negative", "acme", MetricAPICalls, -3, "n", "must be positive"},
		{"too precise", "acme", MetricAPICalls, 1e-7, "n", "more than six decimal places"},
		{"unknown metric", "acme", "nope", 1, "metric", `unknown metric "nope"`},
		{"empty subject", "", MetricAPICalls, 1, "subject", "empty: it is required"},
		{"NUL subject", "\x00", MetricAPICalls, 1, "subject", "control character U+0000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := m.CheckQuota(ctx, tt.subject, tt.metric, tt.n)
			checkValidationError(t, err, tt.field, tt.reason)
		})
	}
	_, err := m.Quotas(ctx, "bad\xff")
	checkValidationError(t, err, "subject", "not valid UTF-8")
}

func TestClosedMeter(t *testing.T) {
	t.Parallel()

	m := newTestMeter(t, &Config{Metrics: ExampleMetrics(), Plans: ExamplePlans()})
	ctx := context.Background()
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Track(ctx, Event{Subject: "acme", Metric: MetricAPICalls, Value: 1}); !errors.Is(err, ErrClosed) {
		t.Errorf("Track after Close = %v, want ErrClosed", err)
	}
	if _, err := m.CheckQuota(ctx, "acme", MetricAPICalls, 1); !errors.Is(err, ErrClosed) {
		t.Errorf("CheckQuota after Close = %v, want ErrClosed", err)
	}
	if err := m.Assign(ctx, Assignment{Subject: "acme", Plan: "basic"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Assign after Close = %v, want ErrClosed", err)
	}
}

// FuzzPrepare feeds arbitrary events to validation: it must never panic, and either
// refuse the event with a *ValidationError or return one that is safe to store.
