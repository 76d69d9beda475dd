package usage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/usagekit/usage/store"
)

// Anomalies lists stored anomaly records matching the filter, ordered by ID. Page
// by passing the last ID received as the next filter's AfterID.
func (m *Meter) Anomalies(ctx context.Context, filter AnomalyFilter) ([]Anomaly, error) {
	if err := m.checkOpen(); err != nil {
		return nil, err
	}
	if filter.Status != "" && !store.ValidAnomalyStatus(string(filter.Status)) {
		return nil, invalidStatus(filter.Status)
	}
	if filter.Limit < 0 || filter.Limit > MaxAnomalyListLimit {
		return nil, invalid("limit", "%d: want from 1 to %d, or 0 for %d", filter.Limit,
			MaxAnomalyListLimit, DefaultAnomalyListLimit)
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
// filter.
type AnomalyFilter struct {
	Subject string
	Metric  string
	Method  AnomalyMethod
	Status  AnomalyStatus
	// From and To bound the anomalies' At to [From, To); a zero time leaves that
	// side open.
	From, To time.Time
	// AfterID lists records with a greater ID: the last ID of the previous page.
	AfterID int64
	// Limit is the page size. Defaults to DefaultAnomalyListLimit; at most
	// MaxAnomalyListLimit.
	Limit int
}

// SetAnomalyStatus moves an anomaly record to status, leaving note (up to
// MaxAnomalyNoteBytes of UTF-8; empty clears it) with the change, and returns the
// record. An invalid status or note returns a *ValidationError; an unknown id an
// error matching ErrAnomalyNotFound.
func (m *Meter) SetAnomalyStatus(ctx context.Context, id int64, status AnomalyStatus, note string) (Anomaly, error) {
	if err := m.checkOpen(); err != nil {
		return Anomaly{}, err
	}
	if !store.ValidAnomalyStatus(string(status)) {
		return Anomaly{}, invalidStatus(status)
	}
	if len(note) > MaxAnomalyNoteBytes {
		return Anomaly{}, invalid("note", "%d bytes, more than the maximum of %d", len(note), MaxAnomalyNoteBytes)
	}
	if !utf8.ValidString(note) {
		return Anomaly{}, invalid("note", "not valid UTF-8")
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

func invalidStatus(s AnomalyStatus) *ValidationError {
	return invalid("status", "%q: want %q, %q, %q or %q", truncate(string(s)),
		AnomalyOpen, AnomalyInvestigating, AnomalyConfirmed, AnomalyDismissed)
}
