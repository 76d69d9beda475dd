package usage

import (
	"errors"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

func FuzzPrepare(f *testing.F) {
	type seed struct {
		subject, user, metric string
		valueBits             uint64
		key, value            string
		offset                int64 // nanoseconds from now; 0: no time
	}
	for _, s := range []seed{
		{"acme", "ann", "api_calls", math.Float64bits(1), "route", "/v1/documents", 0},
		{"acme", "", "api_calls", math.Float64bits(0.1), "", "", int64(-time.Hour)},
		{"acme", "", "api_calls", 0x7ff8_0000_0000_0001, "route", "x", 0},                     // NaN
		{"acme", "", "api_calls", 0xfff8_0000_0000_0000, "route", "x", 0},                     // negative NaN
		{"acme", "", "api_calls", math.Float64bits(math.Inf(1)), "route", "x", 0},             // what 1e309 parses to
		{"acme", "", "balance", math.Float64bits(math.Inf(-1)), "route", "x", 0},              // -Inf
		{"acme", "", "api_calls", math.Float64bits(math.Ldexp(1, 63)), "route", "x", 0},       // 2^63
		{"acme", "", "api_calls", math.Float64bits(1e13), "k", "v", 0},                        // above MaxValue
		{"acme", "", "api_calls", math.Float64bits(999999999999.5), "k", "v", 0},              // large, exact
		{"acme", "", "api_calls", math.Float64bits(math.SmallestNonzeroFloat64), "k", "v", 0}, // subnormal
		{"acme", "", "balance", math.Float64bits(math.Copysign(0, -1)), "k", "v", 0},          // -0
		{"acme\xff", "ann", "api_calls", math.Float64bits(1), "route", "\xff\xfe", 0},         // invalid UTF-8
		{"ac\x00me", "a\x00", "api_calls", math.Float64bits(1), "k\x00", "a\x00b", 0},         // NUL bytes
		{"acme", "ann", "users", math.Float64bits(1), "route", "x", 0},
		{"acme", "", "users", math.Float64bits(1), "route", "x", 0},
		{"acme", "", "seats", math.Float64bits(1), "seat", "s1", 0},
		{"acme", "", "requests", math.Float64bits(-1), "k", "v", 0},
		{"acme", "", "storage_gb", math.Float64bits(-0.5), "k", "v", 0},
		{strings.Repeat("s", 257), "", "api_calls", math.Float64bits(1), "k", "v", 0},
		{"acme", "", strings.Repeat("m", 200), math.Float64bits(1), "k", "v", 0},
		{"acme", "", "api_calls", math.Float64bits(1), strings.Repeat("k", 65), strings.Repeat("v", 5000), 0},
		{"acme", "", "api_calls", math.Float64bits(1), "k", "v", int64(-DefaultMaxLateness)},
		{"acme", "", "api_calls", math.Float64bits(1), "k", "v", int64(-DefaultMaxLateness) - 1},
		{"acme", "", "api_calls", math.Float64bits(1), "k", "v", int64(DefaultMaxFuture)},
		{"acme", "", "api_calls", math.Float64bits(1), "k", "v", int64(DefaultMaxFuture) + 1},
		{"acme", "", "api_calls", math.Float64bits(1), "k", "v", math.MaxInt64},
		{"acme", "", "api_calls", math.Float64bits(1), "k", "v", math.MinInt64},
		{"Ação 株式会社", "José", "api_calls", math.Float64bits(52.5), "région", "Zürich", 1},
	} {
		f.Add(s.subject, s.user, s.metric, s.valueBits, s.key, s.value, s.offset)
	}

	c := eventConfig()
	f.Fuzz(func(t *testing.T, subject, user, metric string, valueBits uint64, key, value string, offset int64) {
		ev := Event{Subject: subject, User: user, Metric: metric, Value: math.Float64frombits(valueBits)}
		if key != "" || value != "" {
			ev.Properties = map[string]string{key: value}
		}
		if offset != 0 {
			ev.Time = eventNow.Add(time.Duration(offset))
		}

		p, err := c.prepare(ev, eventNow)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("error %v (%T) is not a *ValidationError matching ErrInvalidEvent", err, err)
			}
			if ve.Field == "" || ve.Reason == "" {
				t.Fatalf("ValidationError without field or reason: %+v", ve)
			}
			if msg := err.Error(); !utf8.ValidString(msg) || len(msg) > 512 {
				t.Fatalf("error message of %d bytes, valid UTF-8 %v: %q", len(msg), utf8.ValidString(msg), msg)
			}
			return
		}

		// The value is finite, in range and exactly the float the caller sent.
		if math.IsNaN(ev.Value) || math.IsInf(ev.Value, 0) || math.Abs(ev.Value) > MaxValue {
			t.Fatalf("accepted value %v", ev.Value)
		}
		if got := p.value.Float64(); got != ev.Value {
			t.Fatalf("value %v became %s (%v)", ev.Value, p.value, got)
		}
		if p.value.Micros() < -1e18 || p.value.Micros() > 1e18 {
			t.Fatalf("value %v is %d micros", ev.Value, p.value.Micros())
		}
		// Names are valid UTF-8 without control characters, within 256 bytes.
		for field, s := range map[string]string{"subject": p.event.Subject, "user": p.event.User, "id": p.event.ID} {
			if field == "subject" && s == "" {
				t.Fatal("accepted an empty subject")
			}
			if len(s) > maxIDBytes || !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) {
				t.Fatalf("accepted %s %q", field, s)
			}
		}
		if p.event.ID == "" {
			t.Fatal("no ID")
		}
		if _, ok := c.metrics[p.event.Metric]; !ok {
			t.Fatalf("accepted unknown metric %q", p.event.Metric)
		}
		for k, v := range p.event.Properties {
			if !propertyKeyPattern.MatchString(k) || !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
				t.Fatalf("accepted property %q=%q", k, v)
			}
		}
		// The time lies in the window and is stored at microsecond precision.
		if offset == 0 {
			if !p.event.Time.Equal(eventNow.Truncate(time.Microsecond)) {
				t.Fatalf("defaulted time = %s", p.event.Time)
			}
		} else {
			if ev.Time.Before(eventNow.Add(-c.MaxLateness)) || ev.Time.After(eventNow.Add(c.MaxFuture)) {
				t.Fatalf("accepted time %s outside the window", ev.Time)
			}
			if !p.event.Time.Equal(ev.Time.Truncate(time.Microsecond)) {
				t.Fatalf("time %s became %s", ev.Time, p.event.Time)
			}
		}
		// Preparing the same event again gives the same fingerprint.
		again, err := c.prepare(ev, eventNow)
		if err != nil {
			t.Fatalf("second prepare: %v", err)
		}
		if again.fingerprint() != p.fingerprint() {
			t.Fatal("fingerprint is not deterministic")
		}
	})
}

// propertyKeyPattern is what validPropertyKey checks, as the regular expression the
// docs give: the fuzz test above and the test below hold the loop to it.
var propertyKeyPattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)

func TestValidPropertyKeyIsThePattern(t *testing.T) {
	keys := []string{"", "a", strings.Repeat("k", 64), strings.Repeat("k", 65), "latency_ms", "a.b:c-d_E9", "rüte"}
	for c := range 256 {
		keys = append(keys, string([]byte{byte(c)}), "x"+string([]byte{byte(c)})+"y")
	}
	for _, k := range keys {
		if got, want := validPropertyKey(k), propertyKeyPattern.MatchString(k); got != want {
			t.Errorf("validPropertyKey(%q) = %t, the pattern says %t", k, got, want)
		}
	}
}
