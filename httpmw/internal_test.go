package httpmw

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/usagekit/usage"
)

func TestAppendMillisMatchesAppendFloat(t *testing.T) {
	for _, d := range []time.Duration{0, 999, time.Microsecond, 7 * time.Microsecond, 10 * time.Microsecond,
		999 * time.Microsecond, time.Millisecond, 1234567 * time.Microsecond, 90 * time.Minute, -1500 * time.Microsecond} {
		want := strconv.AppendFloat(nil, float64(d.Microseconds())/1000, 'f', 3, 64)
		if got := appendMillis(nil, d); string(got) != string(want) {
			t.Errorf("appendMillis(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestFieldCacheFollowsTheQuota(t *testing.T) {
	var c fieldCache
	end := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	docs := limitState{metric: "documents", window: 30 * 24 * time.Hour, resetAt: end}
	calls := limitState{metric: "api_calls", window: time.Hour, resetAt: end}
	check := func(s *limitState, q int64, policy, limit string) {
		t.Helper()
		f := c.get(s, q)
		if f.policy != policy || f.limitText != limit || f.resetText != strconv.FormatInt(s.resetAt.Unix(), 10) {
			t.Errorf("get(%s, %d) = %+v, want policy %s, limit %s", s.metric, q, f, policy, limit)
		}
	}
	check(&docs, 100, `"documents";q=100;w=2592000`, "100")
	check(&calls, 5, `"api_calls";q=5;w=3600`, "5")
	check(&docs, 100, `"documents";q=100;w=2592000`, "100")
	check(&docs, 200, `"documents";q=200;w=2592000`, "200") // plan changed
	docs.resetAt = end.AddDate(0, 1, 0)                     // next period
	check(&docs, 200, `"documents";q=200;w=2592000`, "200")
}

func TestEventBuilderAcrossStrings(t *testing.T) {
	ids := newIDSource()
	recs := make([]record, 2*eventsPerString+3)
	for i := range recs {
		recs[i] = record{ev: usage.Event{Subject: "acme"}, method: "GET", status: 200,
			latency: time.Duration(i) * time.Millisecond, bytes: int64(i)}
		if i%3 == 0 {
			recs[i].ev.ID = "client-" + strconv.Itoa(i)
		}
	}
	out := make([]usage.Event, len(recs))
	(&eventBuilder{ids: ids}).build(recs, out)
	seen := map[string]bool{}
	for i, ev := range out {
		if i%3 == 0 && ev.ID != "client-"+strconv.Itoa(i) {
			t.Errorf("event %d: ID %q, want the client's", i, ev.ID)
		}
		if !usableID(ev.ID) || seen[ev.ID] {
			t.Errorf("event %d: ID %q unusable or repeated", i, ev.ID)
		}
		seen[ev.ID] = true
		if want := strconv.Itoa(i) + ".000"; ev.Properties["latency_ms"] != want {
			t.Errorf("event %d: latency_ms %q, want %q", i, ev.Properties["latency_ms"], want)
		}
		if want := strconv.Itoa(i); ev.Properties["bytes"] != want || ev.Properties["status"] != "200" {
			t.Errorf("event %d: properties %v", i, ev.Properties)
		}
	}
}

func TestCallContextCarriesStateAndCancellation(t *testing.T) {
	type key struct{}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "host"))
	c := &call{Context: parent}
	child, stop := context.WithTimeout(c, time.Hour)
	defer stop()
	if !SetCost(child, 3) || c.state.cost != 3 {
		t.Fatalf("SetCost through a derived context: cost %v, want 3", c.state.cost)
	}
	if child.Value(key{}) != "host" {
		t.Errorf("the host's context value is lost")
	}
	cancel()
	select {
	case <-child.Done():
	case <-time.After(time.Second):
		t.Fatal("a context derived from the call's is not cancelled with the request's")
	}
}
