package usage

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// eventNow is the injected now of the event tests; its nanoseconds show that times
// are truncated to the stores' microseconds.
var eventNow = time.Date(2026, 3, 15, 12, 0, 0, 123_456_789, time.UTC)

// eventConfig returns a Config with defaults filled in and a metric of every kind of
// validation.
func eventConfig() *Config {
	return (&Config{
		Metrics: []Metric{
			{Key: "api_calls"}, // sum
			{Key: "requests", Aggregation: AggregationCount},
			{Key: "storage_gb", Aggregation: AggregationMax},
			{Key: "users", Aggregation: AggregationUniqueCount},
			{Key: "seats", Aggregation: AggregationUniqueCount, DistinctProperty: "seat"},
			{Key: "balance", AllowNegative: true},
		},
		Plans: []Plan{{Key: "free"}},
	}).withDefaults()
}

func TestPrepareRefuses(t *testing.T) {
	t.Parallel()

	valid := func(edit func(*Event)) Event {
		ev := Event{Subject: "acme", ID: "evt-1", User: "ann", Metric: "api_calls", Value: 1,
			Properties: map[string]string{"route": "/v1/documents"}}
		edit(&ev)
		return ev
	}
	manyProperties := make(map[string]string, 33)
	for i := range 33 {
		manyProperties[fmt.Sprintf("p%d", i)] = "x"
	}
	tests := []struct {
		name   string
		ev     Event
		field  string
		reason string // a substring of the reason
	}{
		{"NaN", valid(func(e *Event) { e.Value = math.NaN() }), "value", "NaN is not a number"},
		{"+Inf", valid(func(e *Event) { e.Value = math.Inf(1) }), "value", "infinity is not a quantity"},
		{"-Inf", valid(func(e *Event) { e.Value = math.Inf(-1) }), "value", "infinity is not a quantity"},
		{"2^63", valid(func(e *Event) { e.Value = math.Ldexp(1, 63) }), "value", "magnitude above the maximum of 100000000000"},
		{"seven decimal places", valid(func(e *Event) { e.Value = 1.0000001 }), "value", "more than six decimal places"},
		{"negative for sum", valid(func(e *Event) { e.Value = -1 }), "value", "-1: metric api_calls needs a positive value (set Metric.AllowNegative for a sum that can go down)"},
		{"zero for sum", valid(func(e *Event) { e.Value = 0 }), "value", "0: metric api_calls needs a positive value"},
		{"negative for max", valid(func(e *Event) { e.Metric, e.Value = "storage_gb", -0.5 }), "value", "-0.5: metric storage_gb does not allow negative values"},
		{"negative for count", valid(func(e *Event) { e.Metric, e.Value = "requests", -1 }), "value", "negative values are not allowed for metric requests"},
		{"NaN for count", valid(func(e *Event) { e.Metric, e.Value = "requests", math.NaN() }), "value", "NaN is not a number"},
		{"NaN for negative sum", valid(func(e *Event) { e.Metric, e.Value = "balance", math.NaN() }), "value", "NaN is not a number"},
		{"empty subject", valid(func(e *Event) { e.Subject = "" }), "subject", "empty: it is required"},
		{"unknown metric", valid(func(e *Event) { e.Metric = "nope" }), "metric", `unknown metric "nope": add it to Config.Metrics`},
		{"empty metric", valid(func(e *Event) { e.Metric = "" }), "metric", `unknown metric ""`},
		{"long unknown metric", valid(func(e *Event) { e.Metric = strings.Repeat("m", 1000) }), "metric", `unknown metric "` + strings.Repeat("m", 64) + `…"`},
		{"too many properties", valid(func(e *Event) { e.Properties = manyProperties }), "properties", "33 entries, more than the maximum of 32"},
		{"too many property bytes", valid(func(e *Event) {
			e.Properties = map[string]string{"a": strings.Repeat("x", 2100), "b": strings.Repeat("y", 2100)}
		}), "properties", "4202 bytes in all, more than the maximum of 4096"},
		{"property key with space", valid(func(e *Event) { e.Properties = map[string]string{"bad key": "x"} }), "properties", `key "bad key": want 1-64 characters of letters, digits, '_', '.', ':', '-'`},
		{"empty property key", valid(func(e *Event) { e.Properties = map[string]string{"": "x"} }), "properties", `key "": want 1-64`},
		{"long property key", valid(func(e *Event) { e.Properties = map[string]string{strings.Repeat("k", 65): "x"} }), "properties", "want 1-64"},
		{"non-ASCII property key", valid(func(e *Event) { e.Properties = map[string]string{"rüte": "x"} }), "properties", `key "rüte"`},
		{"NUL in property key", valid(func(e *Event) { e.Properties = map[string]string{"a\x00": "x"} }), "properties", `key "a\x00"`},
		{"invalid UTF-8 subject", valid(func(e *Event) { e.Subject = "acme\xff" }), "subject", "not valid UTF-8"},
		{"invalid UTF-8 user", valid(func(e *Event) { e.User = "\xc3\x28" }), "user", "not valid UTF-8"},
		{"invalid UTF-8 id", valid(func(e *Event) { e.ID = "\xed\xa0\x80" }), "id", "not valid UTF-8"}, // a UTF-16 surrogate
		{"invalid UTF-8 property value", valid(func(e *Event) { e.Properties = map[string]string{"route": "/v1/\xff"} }), `properties["route"]`, "not valid UTF-8"},
		{"NUL in subject", valid(func(e *Event) { e.Subject = "ac\x00me" }), "subject", "contains the control character U+0000"},
		{"NUL in user", valid(func(e *Event) { e.User = "\x00" }), "user", "contains the control character U+0000"},
		{"NUL in property value", valid(func(e *Event) { e.Properties = map[string]string{"route": "a\x00b"} }), `properties["route"]`, "contains a NUL byte"},
		{"newline in subject", valid(func(e *Event) { e.Subject = "acme\nX-Admin: yes" }), "subject", "contains the control character U+000A"},
		{"DEL in id", valid(func(e *Event) { e.ID = "evt\x7f" }), "id", "contains the control character U+007F"},
		{"C1 control in user", valid(func(e *Event) { e.User = "ann\u0085" }), "user", "contains the control character U+0085"},
		{"subject over 256 bytes", valid(func(e *Event) { e.Subject = strings.Repeat("s", 257) }), "subject", "257 bytes, more than the maximum of 256"},
		{"subject of 129 two-byte runes", valid(func(e *Event) { e.Subject = strings.Repeat("é", 129) }), "subject", "258 bytes, more than the maximum of 256"},
		{"id over 256 bytes", valid(func(e *Event) { e.ID = strings.Repeat("i", 257) }), "id", "257 bytes"},
		{"user over 256 bytes", valid(func(e *Event) { e.User = strings.Repeat("u", 300) }), "user", "300 bytes"},
		{"beyond max lateness", valid(func(e *Event) { e.Time = eventNow.Add(-DefaultMaxLateness - time.Nanosecond) }), "time", "2026-02-08T12:00:00Z is more than 840h0m0s in the past"},
		{"years in the past", valid(func(e *Event) { e.Time = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC) }), "time", "in the past"},
		{"beyond max future", valid(func(e *Event) { e.Time = eventNow.Add(DefaultMaxFuture + time.Nanosecond) }), "time", "2026-03-15T12:05:00Z is more than 5m0s in the future"},
		{"far future", valid(func(e *Event) { e.Time = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC) }), "time", "in the future"},
		{"unique_count without user", valid(func(e *Event) { e.Metric, e.User = "users", "" }), "user", "metric users counts distinct users: set User"},
		{"unique_count without its property", valid(func(e *Event) { e.Metric = "seats" }), "properties", `metric seats counts distinct values of property "seat", which the event lacks`},
		{"unique_count with an empty property", valid(func(e *Event) { e.Metric, e.Properties = "seats", map[string]string{"seat": ""} }), "properties", `property "seat"`},
	}
	c := eventConfig()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := c.prepare(tt.ev, eventNow)
			checkValidationError(t, err, tt.field, tt.reason)
			if p.event.ID != "" || p.value != (Quantity{}) {
				t.Fatalf("refused event returned a prepared event %+v", p)
			}
		})
	}
}

func checkValidationError(t *testing.T, err error, field, reason string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want a *ValidationError of %s", field)
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v (%T) is not a *ValidationError", err, err)
	}
	if !errors.Is(err, ErrInvalidEvent) {
		t.Fatalf("error %v does not match ErrInvalidEvent", err)
	}
	if errors.Is(err, ErrQuotaExceeded) || errors.Is(err, ErrEventConflict) {
		t.Fatalf("error %v matches another sentinel", err)
	}
	if ve.Field != field {
		t.Fatalf("Field = %q, want %q (reason %q)", ve.Field, field, ve.Reason)
	}
	if !strings.Contains(ve.Reason, reason) {
		t.Fatalf("Reason = %q, want it to contain %q", ve.Reason, reason)
	}
	if want := "usage: invalid input: " + field + ": " + ve.Reason; err.Error() != want {
		t.Fatalf("Error() = %q, want %q", err.Error(), want)
	}
	if !utf8.ValidString(err.Error()) {
		t.Fatalf("Error() = %q is not valid UTF-8", err.Error())
	}
}

func TestPrepareAccepts(t *testing.T) {
	t.Parallel()

	maxProperties := make(map[string]string, DefaultMaxProperties)
	for i := range DefaultMaxProperties {
		maxProperties[fmt.Sprintf("p%02d", i)] = "x"
	}
	tests := []struct {
		name   string
		ev     Event
		micros int64
		time   time.Time // zero: now, truncated to the microsecond
	}{
		{"sum", Event{Subject: "acme", Metric: "api_calls", Value: 0.1}, 100_000, time.Time{}},
		{"count ignores zero", Event{Subject: "acme", Metric: "requests"}, 0, time.Time{}},
		{"max takes zero", Event{Subject: "acme", Metric: "storage_gb", Value: 0}, 0, time.Time{}},
		{"negative sum allowed", Event{Subject: "acme", Metric: "balance", Value: -52.5}, -52_500_000, time.Time{}},
		{"zero sum allowed with negatives", Event{Subject: "acme", Metric: "balance"}, 0, time.Time{}},
		{"unique_count with user", Event{Subject: "acme", User: "ann", Metric: "users", Value: 1}, 1_000_000, time.Time{}},
		{"unique_count with property", Event{Subject: "acme", Metric: "seats", Properties: map[string]string{"seat": "s1"}}, 0, time.Time{}},
		{"max value", Event{Subject: "acme", Metric: "api_calls", Value: MaxValue}, 1e17, time.Time{}},
		{"subject of 256 bytes", Event{Subject: strings.Repeat("s", 256), ID: strings.Repeat("i", 256), User: strings.Repeat("u", 256), Metric: "api_calls", Value: 1}, 1_000_000, time.Time{}},
		{"unicode names", Event{Subject: "Ação 株式会社 🚀", User: "José", ID: "ü-1", Metric: "api_calls", Value: 1}, 1_000_000, time.Time{}},
		{"32 properties", Event{Subject: "acme", Metric: "api_calls", Value: 1, Properties: maxProperties}, 1_000_000, time.Time{}},
		{"4096 property bytes", Event{Subject: "acme", Metric: "api_calls", Value: 1, Properties: map[string]string{"a": strings.Repeat("x", 4095)}}, 1_000_000, time.Time{}},
		{"control characters in property values", Event{Subject: "acme", Metric: "api_calls", Value: 1, Properties: map[string]string{"note": "a\tb\nc"}}, 1_000_000, time.Time{}},
		{"exactly max lateness", Event{Subject: "acme", Metric: "api_calls", Value: 1, Time: eventNow.Add(-DefaultMaxLateness)}, 1_000_000,
			time.Date(2026, 2, 8, 12, 0, 0, 123_456_000, time.UTC)},
		{"exactly max future", Event{Subject: "acme", Metric: "api_calls", Value: 1, Time: eventNow.Add(DefaultMaxFuture)}, 1_000_000,
			time.Date(2026, 3, 15, 12, 5, 0, 123_456_000, time.UTC)},
		{"time in another zone", Event{Subject: "acme", Metric: "api_calls", Value: 1, Time: time.Date(2026, 3, 15, 8, 0, 0, 999, time.FixedZone("EDT", -4*3600))}, 1_000_000,
			time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)},
	}
	c := eventConfig()
	hexID := regexp.MustCompile(`^[0-9a-f]{32}$`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := c.prepare(tt.ev, eventNow)
			if err != nil {
				t.Fatalf("prepare: %v", err)
			}
			if p.value.Micros() != tt.micros {
				t.Errorf("value = %d micros, want %d", p.value.Micros(), tt.micros)
			}
			want := tt.time
			if want.IsZero() {
				want = time.Date(2026, 3, 15, 12, 0, 0, 123_456_000, time.UTC)
			}
			if !p.event.Time.Equal(want) {
				t.Errorf("time = %s, want %s", p.event.Time.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
			}
			if p.timeGiven != !tt.ev.Time.IsZero() {
				t.Errorf("timeGiven = %v", p.timeGiven)
			}
			if tt.ev.ID == "" && !hexID.MatchString(p.event.ID) {
				t.Errorf("generated ID = %q, want 32 hex digits", p.event.ID)
			}
			if tt.ev.ID != "" && p.event.ID != tt.ev.ID {
				t.Errorf("ID = %q, want %q", p.event.ID, tt.ev.ID)
			}
			if p.metric.Key != tt.ev.Metric {
				t.Errorf("metric = %q", p.metric.Key)
			}
		})
	}
}

func TestPrepareGeneratesDistinctIDs(t *testing.T) {
	t.Parallel()

	c := eventConfig()
	ev := Event{Subject: "acme", Metric: "api_calls", Value: 1}
	a, err := c.prepare(ev, eventNow)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.prepare(ev, eventNow)
	if err != nil {
		t.Fatal(err)
	}
	if a.event.ID == b.event.ID {
		t.Fatalf("two events without ID got the same ID %q", a.event.ID)
	}
}

func TestPreparedAmount(t *testing.T) {
	t.Parallel()

	c := eventConfig()
	for _, tt := range []struct {
		ev   Event
		want string
	}{
		{Event{Subject: "acme", Metric: "api_calls", Value: 2.5}, "2.5"},
		{Event{Subject: "acme", Metric: "requests", Value: 7}, "1"},
		{Event{Subject: "acme", Metric: "users", User: "ann", Value: 7}, "1"},
		{Event{Subject: "acme", Metric: "storage_gb", Value: 42}, "42"},
	} {
		p, err := c.prepare(tt.ev, eventNow)
		if err != nil {
			t.Fatal(err)
		}
		if got := requested(p.metric.Aggregation, p.value).String(); got != tt.want {
			t.Errorf("amount of %s %v = %s, want %s", tt.ev.Metric, tt.ev.Value, got, tt.want)
		}
	}
	p, err := c.prepare(Event{Subject: "acme", Metric: "seats", User: "ann", Properties: map[string]string{"seat": "s9"}}, eventNow)
	if err != nil {
		t.Fatal(err)
	}
	if p.distinct() != "s9" {
		t.Errorf("distinct = %q, want the seat property", p.distinct())
	}
	p, err = c.prepare(Event{Subject: "acme", Metric: "users", User: "ann"}, eventNow)
	if err != nil {
		t.Fatal(err)
	}
	if p.distinct() != "ann" {
		t.Errorf("distinct = %q, want the user", p.distinct())
	}
}

// BenchmarkPrepareRequestEvent checks an event as the HTTP middleware records one:
// an ID and the five properties of a served request.
func BenchmarkPrepareRequestEvent(b *testing.B) {
	c := eventConfig()
	ev := Event{ID: "req-1", Subject: "acme", Metric: "api_calls", Value: 1, Properties: map[string]string{
		"route": "GET /v1/search", "method": "GET", "status": "200", "latency_ms": "0.412", "bytes": "1024"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.prepare(ev, eventNow); err != nil {
			b.Fatal(err)
		}
	}
}
