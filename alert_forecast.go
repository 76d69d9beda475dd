package usage

import (
	"context"
	"fmt"

	"github.com/usagekit/usage/store"
)

// DefaultForecastProbability is the probability of ending the period above the
// limit from which a forecast raises an alert.
const DefaultForecastProbability = 0.8

// raiseForecastAlert raises an AlertForecast when a forecast gives the quota at
// least Config.Alerts.ForecastProbability of ending the period above its limit:
// once per quota and period, whichever instance forecasts it first (the alert's
// key holds it once). A quota already at its limit raises none: its threshold
// alerts have said so, and a projection of reaching it would be wrong.
func (m *Meter) raiseForecastAlert(ctx context.Context, fc Forecast) error {
	q := fc.Quota
	if q == nil || m.cfg.Alerts.Disabled || q.ExceedProbability < m.cfg.Alerts.ForecastProbability {
		return nil
	}
	if q.Used.Micros() >= q.Limit.Micros() {
		return nil
	}
	met := m.cfg.metrics[fc.Metric]
	used, _ := q.Used.at(met.scale())
	limit, _ := q.Limit.at(met.scale())
	by := q.Period.End
	for _, c := range q.Crossings {
		if c.Percent == 100 && c.Reached && !c.At.IsZero() {
			by = c.At
		}
	}
	msg := fmt.Sprintf("%s is projected to reach 100%% of its %s limit by %s (probability %.0f%%), expected overage %.6g",
		fc.Subject, fc.Metric, by.Format("2006-01-02 15:04 MST"), 100*q.ExceedProbability, q.ExpectedOverage)
	if !q.ExpectedCost.Amount.IsZero() {
		msg += ", " + q.ExpectedCost.String()
	}
	severity := store.SeverityWarning
	if q.ExceedProbability >= 0.95 {
		severity = store.SeverityHigh
	}
	_, err := m.store.InsertAlerts(ctx, &store.InsertAlertsParams{Now: m.now(), Alerts: []store.Alert{{
		Kind: store.AlertForecast, Severity: severity, Subject: fc.Subject, Metric: fc.Metric,
		Used: used, Limit: limit, PeriodStart: q.Period.Start, PeriodEnd: q.Period.End, Message: msg}}})
	if err != nil {
		return fmt.Errorf("usage: raise forecast alert of %q %s: %w", fc.Subject, fc.Metric, err)
	}
	return nil
}
