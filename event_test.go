package usage

import (
	"regexp"
	"strconv"
	"testing"
	"time"
)

func TestFingerprint(t *testing.T) {
	t.Parallel()

	c := eventConfig()
	fingerprint := func(t *testing.T, ev Event, now time.Time) string {
		t.Helper()
		p, err := c.prepare(ev, now)
		if err != nil {
			t.Fatalf("prepare: %v", err)
		}
		return p.fingerprint()
	}
	base := Event{Subject: "acme", ID: "evt-1", User: "ann", Metric: "api_calls", Value: 2.5,
		Properties: map[string]string{"route": "/v1/documents", "status": "200"}}
	want := fingerprint(t, base, eventNow)
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(want) {
		t.Fatalf("fingerprint %q is not 32 hex digits", want)
	}
	// Stored events carry their fingerprint: it must not change between versions,
	// or every retry of an event stored before an upgrade would be a conflict.
	if want != "eba159603fb2eb490267d79d41c4e5fe" {
		t.Fatalf("fingerprint %s, want the one earlier versions stored", want)
	}
	at := time.Date(2026, 3, 15, 11, 0, 0, 0, time.UTC)

	same := []struct {
		name string
		edit func(*Event)
		now  time.Time
	}{
		{"identical", func(*Event) {}, eventNow},
		// A defaulted Time is not part of the payload: a retry an hour later matches.
		{"retried later", func(*Event) {}, eventNow.Add(time.Hour)},
		// Subject and ID are the key the fingerprint is compared under.
		{"other subject", func(e *Event) { e.Subject = "globex" }, eventNow},
		{"other ID", func(e *Event) { e.ID = "evt-2" }, eventNow},
		{"properties copied", func(e *Event) {
			e.Properties = map[string]string{"status": "200", "route": "/v1/documents"}
		}, eventNow},
	}
	for _, tt := range same {
		ev := base
		tt.edit(&ev)
		if got := fingerprint(t, ev, tt.now); got != want {
			t.Errorf("%s: fingerprint %s, want %s", tt.name, got, want)
		}
	}

	different := []struct {
		name string
		edit func(*Event)
	}{
		{"metric", func(e *Event) { e.Metric = "balance" }},
		{"user", func(e *Event) { e.User = "bob" }},
		{"no user", func(e *Event) { e.User = "" }},
		{"value", func(e *Event) { e.Value = 2.500001 }},
		{"explicit time equal to now", func(e *Event) { e.Time = eventNow }},
		{"explicit time", func(e *Event) { e.Time = at }},
		{"no properties", func(e *Event) { e.Properties = nil }},
		{"property value", func(e *Event) { e.Properties = map[string]string{"route": "/v1/documents", "status": "500"} }},
		{"property key", func(e *Event) { e.Properties = map[string]string{"route": "/v1/documents", "code": "200"} }},
		{"extra property", func(e *Event) {
			e.Properties = map[string]string{"route": "/v1/documents", "status": "200", "region": "eu"}
		}},
		{"property boundary moved", func(e *Event) {
			e.Properties = map[string]string{"route": "/v1/documentsstatus", "": "200"}
		}},
		{"user and metric swapped", func(e *Event) { e.User, e.Metric = "api_calls", "balance" }},
	}
	seen := map[string]string{want: "base"}
	for _, tt := range different {
		ev := base
		tt.edit(&ev)
		p, err := c.prepare(ev, eventNow)
		if err != nil {
			// The moved boundary needs an empty key, which is refused; build it directly.
			p = prepared{event: ev, value: QuantityFromMicros(2_500_000), timeGiven: !ev.Time.IsZero()}
		}
		got := p.fingerprint()
		if other, dup := seen[got]; dup {
			t.Errorf("%s: fingerprint %s, the same as %s", tt.name, got, other)
		}
		seen[got] = tt.name
	}

	// Explicit times are compared at the stores' microsecond precision, whatever
	// their zone.
	ev := base
	ev.Time = at
	explicit := fingerprint(t, ev, eventNow)
	ev.Time = at.In(time.FixedZone("X", 5*3600+1800)).Add(999 * time.Nanosecond)
	if got := fingerprint(t, ev, eventNow); got != explicit {
		t.Errorf("same instant in another zone: fingerprint %s, want %s", got, explicit)
	}
	ev.Time = at.Add(time.Microsecond)
	if got := fingerprint(t, ev, eventNow); got == explicit {
		t.Errorf("a microsecond later: same fingerprint %s", got)
	}
	// Empty and nil properties are the same payload.
	ev = base
	ev.Properties = nil
	nilProps := fingerprint(t, ev, eventNow)
	ev.Properties = map[string]string{}
	if got := fingerprint(t, ev, eventNow); got != nilProps {
		t.Errorf("empty properties: fingerprint %s, want %s", got, nilProps)
	}
}

// Events tracked without an ID get IDs that increase over time, so that events
// stored together sit together in the stores' (ID, subject) key.
func TestGeneratedIDsAreUUIDv7sThatIncrease(t *testing.T) {
	t.Parallel()

	c := eventConfig()
	ev := Event{Subject: "acme", Metric: "api_calls", Value: 1}
	hexID := regexp.MustCompile(`^[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}$`)
	before := time.Now().UnixMilli()
	prev := ""
	for i := range 2000 {
		p, err := c.prepare(ev, eventNow)
		if err != nil {
			t.Fatalf("prepare: %v", err)
		}
		id := p.event.ID
		if !hexID.MatchString(id) {
			t.Fatalf("generated ID %q is not a UUIDv7 in 32 hex digits", id)
		}
		if id <= prev {
			t.Fatalf("generated ID %d, %q, is not after the one before, %q", i, id, prev)
		}
		prev = id
	}
	after := time.Now().UnixMilli()
	ms, err := strconv.ParseInt(prev[:12], 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	// The clock's millisecond, unless IDs asked for faster than one per 256 ns
	// ran ahead of it.
	if ms < before || ms > after+1 {
		t.Errorf("the last ID's time is %d ms, want between %d and %d", ms, before, after+1)
	}
}
