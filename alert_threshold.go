package usage

import (
	"fmt"
	"math"
	"slices"

	"github.com/usagekit/usage/store"
)

// Severity ranks an alert: SeverityInfo, SeverityWarning, SeverityHigh or
// SeverityCritical.
type Severity string

// The severities, in rising order.
const (
	SeverityInfo     Severity = store.SeverityInfo
	SeverityWarning  Severity = store.SeverityWarning
	SeverityHigh     Severity = store.SeverityHigh
	SeverityCritical Severity = store.SeverityCritical
)

// Threshold is a share of a quota's limit at which an alert is raised, once per
// billing period, when usage reaches it.
type Threshold struct {
	// Percent of the limit, in (0, 1000], with at most two decimal places: 80
	// warns at 80 %, 150 alerts at one and a half times the limit (with overage).
	Percent float64
	// Severity of the alert. Defaults to SeverityCritical from 100 %, SeverityHigh
	// from 90 % and SeverityWarning below.
	Severity Severity
}

// MaxThresholdPercent is the highest threshold a quota takes.
const MaxThresholdPercent = 1000

// DefaultThresholds are the thresholds of a limit whose plan sets none: a warning at
// 80 %, a high alert at 90 % and a critical one at 100 %.
func DefaultThresholds() []Threshold {
	return []Threshold{{80, SeverityWarning}, {90, SeverityHigh}, {100, SeverityCritical}}
}

// defaultSeverity is the severity of a threshold that names none.
func defaultSeverity(percent float64) Severity {
	switch {
	case percent >= 100:
		return SeverityCritical
	case percent >= 90:
		return SeverityHigh
	default:
		return SeverityWarning
	}
}

// alertLevels checks thresholds and returns them as the store keeps them, in
// rising order: basis points of the limit, each with its severity. field names
// them in errors, e.g. "plans[pro].limits[api_calls].thresholds".
func alertLevels(field string, thresholds []Threshold) ([]store.AlertLevel, error) {
	levels := make([]store.AlertLevel, 0, len(thresholds))
	for i, th := range thresholds {
		at := fmt.Sprintf("%s[%d]", field, i)
		if math.IsNaN(th.Percent) || th.Percent <= 0 || th.Percent > MaxThresholdPercent {
			return nil, invalid(at, "percent %v is outside (0, %d]: give the share of the limit, e.g. 80 for 80 %%", th.Percent, MaxThresholdPercent)
		}
		bp := th.Percent * 100
		if math.Abs(bp-math.Round(bp)) > 1e-6 {
			return nil, invalid(at, "percent %v has more than two decimal places", th.Percent)
		}
		sev := th.Severity
		if sev == "" {
			sev = defaultSeverity(th.Percent)
		}
		if !store.ValidSeverity(string(sev)) {
			return nil, invalid(at, "severity %q: want %q, %q, %q or %q", truncate(string(sev)), SeverityInfo, SeverityWarning, SeverityHigh, SeverityCritical)
		}
		levels = append(levels, store.AlertLevel{Threshold: int64(math.Round(bp)), Severity: string(sev)})
	}
	slices.SortFunc(levels, func(a, b store.AlertLevel) int { return int(a.Threshold - b.Threshold) })
	for i := 1; i < len(levels); i++ {
		if levels[i].Threshold == levels[i-1].Threshold {
			return nil, invalid(field, "%v %% is given twice: give each threshold once", float64(levels[i].Threshold)/100)
		}
	}
	return levels, nil
}
