package usage

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func thresholdConfig(thresholds ...Threshold) *Config {
	return &Config{
		Metrics: []Metric{{Key: "api_calls"}},
		Plans: []Plan{{Key: "pro", Limits: map[string]Limit{
			"api_calls": {Included: 100, Thresholds: thresholds}}}},
	}
}

func TestNewRefusesBadThresholdsWithErrorsThatSayHowToFixThem(t *testing.T) {
	for name, c := range map[string]struct {
		thresholds []Threshold
		want       string
	}{
		"zero":             {[]Threshold{{Percent: 0}}, "plans[pro].limits[api_calls].thresholds[0]: percent 0 is outside (0, 1000]"},
		"negative":         {[]Threshold{{Percent: -5}}, "percent -5 is outside (0, 1000]"},
		"above 1000":       {[]Threshold{{Percent: 80}, {Percent: 1000.5}}, "thresholds[1]: percent 1000.5 is outside (0, 1000]"},
		"NaN":              {[]Threshold{{Percent: math.NaN()}}, "percent NaN is outside"},
		"too fine":         {[]Threshold{{Percent: 80.125}}, "more than two decimal places"},
		"duplicate":        {[]Threshold{{Percent: 80}, {Percent: 90}, {Percent: 80}}, "80 % is given twice"},
		"unknown severity": {[]Threshold{{Percent: 80, Severity: "urgent"}}, `severity "urgent"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(nopStore{}, thresholdConfig(c.thresholds...))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || !strings.Contains(ve.Field, "thresholds") {
				t.Fatalf("got %v, want a ValidationError naming the thresholds", err)
			}
		})
	}
}

func TestThresholdsOfAnUnknownMetricAreRefused(t *testing.T) {
	cfg := thresholdConfig()
	cfg.Plans[0].Limits["docs"] = Limit{Included: 5, Thresholds: []Threshold{{Percent: 50}}}
	_, err := New(nopStore{}, cfg)
	if err == nil || !strings.Contains(err.Error(), `unknown metric "docs"`) {
		t.Fatalf("got %v, want the unknown metric named", err)
	}
}

func TestThresholdsDefaultTo80And90And100PercentWithTheirSeverities(t *testing.T) {
	m := newTestMeter(t, thresholdConfig())
	levels := m.cfg.alertLevels["pro"]["api_calls"]
	want := []struct {
		bp       int64
		severity string
	}{{8000, "warning"}, {9000, "high"}, {10000, "critical"}}
	if len(levels) != len(want) {
		t.Fatalf("got %v", levels)
	}
	for i, w := range want {
		if levels[i].Threshold != w.bp || levels[i].Severity != w.severity {
			t.Fatalf("level %d: got %+v, want %+v", i, levels[i], w)
		}
	}
}

func TestGivenThresholdsAreSortedAndTakeDefaultSeverities(t *testing.T) {
	m := newTestMeter(t, thresholdConfig(Threshold{Percent: 150}, Threshold{Percent: 50.25, Severity: SeverityInfo}, Threshold{Percent: 95}))
	levels := m.cfg.alertLevels["pro"]["api_calls"]
	got := []string{}
	for _, l := range levels {
		got = append(got, l.Severity)
	}
	if levels[0].Threshold != 5025 || levels[2].Threshold != 15000 || strings.Join(got, ",") != "info,high,critical" {
		t.Fatalf("got %+v", levels)
	}
}

func TestUnlimitedMetricsAndDisabledAlertsHaveNoThresholds(t *testing.T) {
	cfg := thresholdConfig()
	cfg.Metrics = append(cfg.Metrics, Metric{Key: "docs"})
	cfg.Plans[0].Limits["docs"] = Limit{Unlimited: true}
	m := newTestMeter(t, cfg)
	if _, ok := m.cfg.alertLevels["pro"]["docs"]; ok {
		t.Fatal("an unlimited metric has thresholds")
	}
	cfg = thresholdConfig()
	cfg.Alerts.Disabled = true
	if levels := newTestMeter(t, cfg).cfg.alertLevels["pro"]["api_calls"]; levels != nil {
		t.Fatalf("disabled alerts have levels %v", levels)
	}
}
