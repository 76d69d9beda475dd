package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestScoreDetect(t *testing.T) {
	t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	at := func(h, m int) time.Time { return t0.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	var times []time.Time
	for i := range 4 * 24 * 12 { // four days of 5-minute rows
		times = append(times, t0.Add(time.Duration(i)*5*time.Minute))
	}
	files := []detectFile{
		{Name: "a/one.csv", Times: times, Windows: []detectWindow{
			{Kind: "spike", From: at(10, 0), To: at(12, 0), Onset: at(10, 20)},
			{Kind: "outage", From: at(50, 0), To: at(52, 0), Onset: at(50, 0)},
		}},
		{Name: "a/two.csv", Times: times, Windows: []detectWindow{
			{Kind: "spike", From: at(30, 0), To: at(31, 0), Onset: at(30, 5)},
		}},
	}
	found := [][]detectFound{
		{
			{At: at(10, 0), Reported: at(11, 0), Method: "ensemble"},                   // reported 40 min after the onset
			{At: at(11, 30), Reported: at(12, 0), Method: "burst", FraudSuspect: true}, // same window, later
			{At: at(70, 0), Method: "ensemble"},                                        // a false alarm
		},
		{
			{At: at(30, 50), Reported: at(31, 0), Method: "ensemble", FraudSuspect: true},
			{At: at(80, 0), Method: "ensemble"},
			{At: at(90, 0), Method: "ensemble"},
		},
	}
	got := scoreDetect(files, found)
	span := times[len(times)-1].Sub(times[0])
	days1 := (span - 4*time.Hour).Hours() / 24
	days2 := (span - time.Hour).Hours() / 24
	want := []detectScore{
		{Kind: "outage", Found: 0, Total: 1, FP: 1, Days: days1},
		{Kind: "spike", Found: 2, Total: 2, Delays: []time.Duration{40 * time.Minute, 55 * time.Minute}, FP: 3,
			Days: days1 + days2, Fraud: 2},
		{Kind: "all", Found: 2, Total: 3, Delays: []time.Duration{40 * time.Minute, 55 * time.Minute}, FP: 3,
			Days: days1 + days2, Fraud: 2},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("scoreDetect:\n got %+v\nwant %+v", got, want)
	}
	if d := got[2].medianDelay(); d != 47.5 {
		t.Errorf("median delay %v min, want 47.5", d)
	}
	if d := got[0].medianDelay(); d != -1 {
		t.Errorf("median delay with nothing found %v, want -1", d)
	}
}

// TestDetectGenerated runs the whole path, generator to report, on a small set:
// every window is counted once, per kind and overall.
func TestDetectGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("stores a generated corpus through a Meter")
	}
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run([]string{"gen", "-out", dir, "-tenants", "3", "-days", "16"}, &out); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"detect", "-data", dir, "-every", "0"}, &out); err != nil {
		t.Fatal(err)
	}
	var results []string
	for line := range strings.Lines(out.String()) {
		if strings.HasPrefix(line, "RESULT eval=detect") {
			results = append(results, strings.TrimSpace(line))
		}
	}
	// Three tenants get the six kinds once each.
	if len(results) != 7 {
		t.Fatalf("%d RESULT lines, want 6 kinds and all:\n%s", len(results), out.String())
	}
	if !strings.Contains(results[6], "kind=all found=") || !strings.Contains(results[6], "/6 ") {
		t.Errorf("overall line %q: want 6 windows", results[6])
	}
	if _, err := os.Stat(filepath.Join(dir, "labels", "kinds.json")); err != nil {
		t.Error(err)
	}
}
