package usage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/usagekit/usage/store"
)

// Anomalies lists stored anomaly records matching the filter, ordered by ID. Page
// by passing the last ID received as the next filter's AfterID.
func (m *Meter) Anomalies(ctx context.Context, filter AnomalyFilter) ([]Anomaly, error) {
	if err := m.checkOpen(); err != nil {
		return nil, err
	}
	if err := filter.validate(); err != nil {
		return nil, err
	}
	res, err := m.store.ListAnomalies(ctx, &store.ListAnomaliesParams{Subject: filter.Subject,
		Metric: filter.Metric, Method: string(filter.Method), Status: string(filter.Status),
		From: filter.From, To: filter.To, AfterID: filter.AfterID,
		Limit: cmp.Or(filter.Limit, DefaultAnomalyListLimit)})
	if err != nil {
		return nil, fmt.Errorf("usage: list anomalies: %w", err)
	}
	out := make([]Anomaly, len(res.Anomalies))
	for i, a := range res.Anomalies {
		out[i] = anomalyFromStore(a)
	}
	return out, nil
}

// AnomalyFilter selects anomaly records for Meter.Anomalies. Empty fields do not
// filter. Subject, Metric and Method are names: at most 256 bytes of UTF-8 without
// control characters. A filter that breaks a rule returns a *ValidationError naming
// the field ("filter.subject"), before anything is read.
type AnomalyFilter struct {
	Subject string
	// Metric may name a metric no longer in the Config, whose records are kept.
	Metric string
	Method AnomalyMethod
	Status AnomalyStatus
	// From and To bound the anomalies' At to [From, To); a zero time leaves that
	// side open.
	From, To time.Time
	// AfterID lists records with a greater ID: the last ID of the previous page.
	// Zero starts at the first; it must not be negative.
	AfterID int64
	// Limit is the page size. Defaults to DefaultAnomalyListLimit; at most
	// MaxAnomalyListLimit.
	Limit int
}

// SetAnomalyStatus moves an anomaly record to status, leaving note (up to
// MaxAnomalyNoteBytes of UTF-8 without NUL bytes; empty clears it) with the change,
// and returns the record. An invalid id, status or note returns a *ValidationError;
// an unknown id an error matching ErrAnomalyNotFound.
func (m *Meter) SetAnomalyStatus(ctx context.Context, id int64, status AnomalyStatus, note string) (Anomaly, error) {
	if err := m.checkOpen(); err != nil {
		return Anomaly{}, err
	}
	if id <= 0 {
		return Anomaly{}, invalid("id", "%d: want the ID of a stored anomaly record", id)
	}
	if !store.ValidAnomalyStatus(string(status)) {
		return Anomaly{}, invalidStatus(status)
	}
	if err := checkText("note", note, MaxAnomalyNoteBytes); err != nil {
		return Anomaly{}, err
	}
	res, err := m.store.SetAnomalyStatus(ctx, &store.SetAnomalyStatusParams{ID: id, Status: string(status),
		Note: note, Now: m.now()})
	if errors.Is(err, store.ErrNotFound) {
		return Anomaly{}, fmt.Errorf("%w: id %d", ErrAnomalyNotFound, id)
	}
	if err != nil {
		return Anomaly{}, fmt.Errorf("usage: set status of anomaly %d: %w", id, err)
	}
	return anomalyFromStore(res.Anomaly), nil
}

// validate checks every field of the filter by the rules of Track's.
func (f AnomalyFilter) validate() error {
	for _, name := range []struct{ field, value string }{
		{"filter.subject", f.Subject}, {"filter.metric", f.Metric}, {"filter.method", string(f.Method)},
	} {
		if err := checkName(name.field, name.value, false); err != nil {
			return err
		}
	}
	if f.Status != "" && !store.ValidAnomalyStatus(string(f.Status)) {
		err := invalidStatus(f.Status)
		err.Field = "filter.status"
		return err
	}
	if err := checkSpan("filter.to", f.From, f.To); err != nil {
		return err
	}
	if f.AfterID < 0 {
		return invalid("filter.after_id", "%d: want the last ID of a previous page, or 0", f.AfterID)
	}
	if f.Limit < 0 || f.Limit > MaxAnomalyListLimit {
		return invalid("filter.limit", "%d: want from 1 to %d, or 0 for %d", f.Limit,
			MaxAnomalyListLimit, DefaultAnomalyListLimit)
	}
	return nil
}

func invalidStatus(s AnomalyStatus) *ValidationError {
	return invalid("status", "%q: want %q, %q, %q or %q", truncate(string(s)),
		AnomalyOpen, AnomalyInvestigating, AnomalyConfirmed, AnomalyDismissed)
}
