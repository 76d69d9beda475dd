package usage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/usagekit/usage/store"
)

// AlertKind says what raised an alert.
type AlertKind string

// The kinds of alert.
const (
	// AlertThreshold: a quota's usage reached one of its thresholds. Raised once
	// per threshold and period, in the transaction of the events that crossed it.
	AlertThreshold AlertKind = store.AlertThreshold
	// AlertRefusal: an event was refused at a limit without overage. Raised once
	// per quota and period, however many events are refused.
	AlertRefusal AlertKind = store.AlertRefusal
	// AlertForecast: the quota is projected to pass its limit before the period
	// ends. Raised once per quota and period.
	AlertForecast AlertKind = store.AlertForecast
	// AlertFraudSuspect: anomaly detection flagged usage as a suspected abuse.
	// Raised once per anomaly.
	AlertFraudSuspect AlertKind = store.AlertFraudSuspect
)

// notificationType is the type a notification of the kind carries, e.g. in a
// webhook's body.
func (k AlertKind) notificationType() string {
	switch k {
	case AlertThreshold:
		return "quota.threshold_crossed"
	case AlertRefusal:
		return "quota.event_refused"
	case AlertForecast:
		return "quota.forecast_exceeded"
	case AlertFraudSuspect:
		return "usage.fraud_suspected"
	default:
		return "usage.alert"
	}
}

// Alert is a raised alert.
type Alert struct {
	ID       int64     `json:"id"`
	Kind     AlertKind `json:"kind"`
	Severity Severity  `json:"severity"`
	Subject  string    `json:"subject"`
	Metric   string    `json:"metric"`
	// Threshold is the percent of the limit that was reached, for AlertThreshold; 0
	// for the other kinds.
	Threshold float64 `json:"threshold_percent,omitempty"`
	// AnomalyID is the anomaly behind an AlertFraudSuspect; 0 for the other kinds.
	AnomalyID int64 `json:"anomaly_id,omitempty"`
	// Used and Limit are the quota's usage and limit when the alert was raised.
	Used  Quantity `json:"used"`
	Limit Quantity `json:"limit"`
	// Period is the quota's billing period; for an AlertFraudSuspect, the
	// anomaly's time (Start and End alike), and Used and Limit are zero.
	Period Period `json:"period"`
	// Message says what happened, for people.
	Message   string    `json:"message"`
	CreatedAt time.Time `json:"created_at"`
	// AcknowledgedAt is zero until someone acknowledges the alert (AcknowledgeAlert).
	AcknowledgedAt time.Time `json:"acknowledged_at,omitzero"`
	AcknowledgedBy string    `json:"acknowledged_by,omitempty"`
	// Delivery is the state of the alert's notification to Config.Alerts.Notifiers.
	Delivery AlertDelivery `json:"-"`
}

// AlertDelivery is the state of an alert's notification.
type AlertDelivery struct {
	// ID is the delivery's stable ID: every attempt carries it (a webhook's
	// webhook-id), so receivers can deduplicate.
	ID string
	// State is "pending" (being tried), "delivered" (every notifier took it) or
	// "failed" (given up, or refused for good by a notifier; LastError says why).
	State     string
	Attempts  int
	LastError string
	UpdatedAt time.Time
}

// deliveryID is the stable ID of a delivery as notifiers see it.
func deliveryID(id int64) string { return fmt.Sprintf("usage_alert_%d", id) }

// alertFromStore is a stored alert in the metric's units, with a message.
func (m *Meter) alertFromStore(a store.Alert) Alert {
	met := m.cfg.metrics[a.Metric] // an unknown metric reads at six decimals
	out := Alert{
		ID: a.ID, Kind: AlertKind(a.Kind), Severity: Severity(a.Severity), Subject: a.Subject,
		Metric: a.Metric, Used: met.quantity(a.Used), Limit: met.quantity(a.Limit),
		Period: Period{Start: a.PeriodStart, End: a.PeriodEnd}, Message: a.Message,
		CreatedAt: a.CreatedAt, AcknowledgedAt: a.AcknowledgedAt, AcknowledgedBy: a.AcknowledgedBy,
		Delivery: AlertDelivery{ID: deliveryID(a.Delivery.ID), State: a.Delivery.State,
			Attempts: a.Delivery.Attempts, LastError: a.Delivery.LastError, UpdatedAt: a.Delivery.UpdatedAt},
	}
	switch out.Kind {
	case AlertThreshold:
		out.Threshold = float64(a.Threshold) / 100
	case AlertFraudSuspect:
		out.AnomalyID = a.Ref
	}
	if out.Message == "" {
		out.Message = alertMessage(out)
	}
	return out
}

// alertMessage is the message of an alert raised without one (by Ingest).
func alertMessage(a Alert) string {
	switch a.Kind {
	case AlertThreshold:
		return fmt.Sprintf("%s has used %v%% of its %s limit: %s of %s this period", a.Subject, a.Threshold, a.Metric, a.Used, a.Limit)
	case AlertRefusal:
		return fmt.Sprintf("%s was refused %s at its limit: %s of %s used this period", a.Subject, a.Metric, a.Used, a.Limit)
	default:
		return fmt.Sprintf("%s alert for %s %s", a.Kind, a.Subject, a.Metric)
	}
}

// AlertFilter selects alerts for ListAlerts. Empty fields match all.
type AlertFilter struct {
	Subject  string
	Metric   string
	Kind     AlertKind
	Severity Severity
	// Acknowledged, when set, selects acknowledged alerts (true) or the others.
	Acknowledged *bool
	// From and To bound when alerts were raised to [From, To); zero is unbounded.
	From, To time.Time
	// Before is the cursor: AlertPage.Next of the page before. Zero starts at the
	// newest alert.
	Before int64
	// Limit is the page size. Defaults to DefaultAlertPageSize.
	Limit int
}

// DefaultAlertPageSize is the page size of ListAlerts when AlertFilter.Limit is 0.
const DefaultAlertPageSize = 100

// AlertPage is one page of alerts, newest first.
type AlertPage struct {
	Alerts []Alert
	// Next is the cursor of the next page (AlertFilter.Before), 0 when this page is
	// the last.
	Next int64
}

// ListAlerts returns alerts matching the filter, newest first, a page at a time.
func (m *Meter) ListAlerts(ctx context.Context, f AlertFilter) (AlertPage, error) {
	if err := m.checkOpen(); err != nil {
		return AlertPage{}, err
	}
	if f.Limit < 0 || f.Before < 0 {
		return AlertPage{}, invalid("limit", "negative page size or cursor: use 0 for the defaults")
	}
	if f.Severity != "" && !store.ValidSeverity(string(f.Severity)) {
		return AlertPage{}, invalid("severity", "%q: want %q, %q, %q or %q", truncate(string(f.Severity)), SeverityInfo, SeverityWarning, SeverityHigh, SeverityCritical)
	}
	limit := f.Limit
	if limit == 0 {
		limit = DefaultAlertPageSize
	}
	res, err := m.store.ListAlerts(ctx, &store.ListAlertsParams{Subject: f.Subject, Metric: f.Metric,
		Kind: string(f.Kind), Severity: string(f.Severity), Acknowledged: f.Acknowledged,
		From: f.From, To: f.To, BeforeID: f.Before, Limit: limit + 1})
	if err != nil {
		return AlertPage{}, fmt.Errorf("usage: list alerts: %w", err)
	}
	page := AlertPage{Alerts: make([]Alert, 0, min(len(res.Alerts), limit))}
	for i, a := range res.Alerts {
		if i == limit {
			page.Next = page.Alerts[limit-1].ID
			break
		}
		page.Alerts = append(page.Alerts, m.alertFromStore(a))
	}
	return page, nil
}

// AcknowledgeAlert records that by has seen the alert, and returns it. Only the
// first acknowledgement is kept: acknowledging again returns the alert as first
// acknowledged. subject, when not empty, must be the alert's (a tenant may only
// acknowledge its own); an alert of another subject, like an unknown ID, gives an
// error matching ErrAlertNotFound.
func (m *Meter) AcknowledgeAlert(ctx context.Context, subject string, id int64, by string) (Alert, error) {
	if err := m.checkOpen(); err != nil {
		return Alert{}, err
	}
	if subject != "" {
		if err := checkName("subject", subject, true); err != nil {
			return Alert{}, err
		}
	}
	if err := checkName("by", by, true); err != nil {
		return Alert{}, err
	}
	res, err := m.store.AcknowledgeAlert(ctx, &store.AcknowledgeAlertParams{ID: id, Subject: subject, By: by, At: m.now()})
	if errors.Is(err, store.ErrNotFound) {
		return Alert{}, fmt.Errorf("%w: id %d", ErrAlertNotFound, id)
	}
	if err != nil {
		return Alert{}, fmt.Errorf("usage: acknowledge alert %d: %w", id, err)
	}
	return m.alertFromStore(res.Alert), nil
}

// UnacknowledgedAlerts returns how many of a subject's alerts nobody has
// acknowledged yet.
func (m *Meter) UnacknowledgedAlerts(ctx context.Context, subject string) (int64, error) {
	if err := m.forSubject(subject); err != nil {
		return 0, err
	}
	res, err := m.store.CountUnacknowledgedAlerts(ctx, &store.CountUnacknowledgedAlertsParams{Subject: subject})
	if err != nil {
		return 0, fmt.Errorf("usage: count unacknowledged alerts: %w", err)
	}
	return res.Count, nil
}
