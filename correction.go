package usage

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/usagekit/usage/store"
)

// CorrectionKind is what a correction does to an event.
type CorrectionKind = store.CorrectionKind

// The corrections.
const (
	// CorrectionVoid takes an event out of usage, as if it had not been tracked.
	CorrectionVoid = store.CorrectionVoid
	// CorrectionAmend replaces an event's value.
	CorrectionAmend = store.CorrectionAmend
)

// Correction voids or amends a tracked event. It is stored as a compensating entry:
// the event itself never changes, the ledger only grows.
type Correction struct {
	// ID is the correction's idempotency key, unique per subject: correcting again
	// with the same ID returns the first result and changes nothing; reusing it for
	// another correction returns a *ConflictError. Empty means a generated ID (a
	// UUIDv7).
	ID string
	// Subject and EventID name the event to correct.
	Subject string
	EventID string
	// Kind is CorrectionVoid or CorrectionAmend.
	Kind CorrectionKind
	// Value is the event's new value, for an amend; checked as an event's value for
	// the event's metric. Ignored by a void.
	Value float64
	// Reason says why, for the record. Required, at most 1024 bytes of UTF-8.
	Reason string
	// Actor names who made the correction. Optional.
	Actor string
}

// CorrectionResult is what Correct did.
type CorrectionResult struct {
	// Correction is the correction as stored, with its ID.
	Correction Correction
	// Metric is the corrected event's metric, and Period the period it counts in.
	Metric string
	Period Period
	// Previous is the event's value before the correction: as tracked, or as
	// amended last.
	Previous Quantity
	// UsedAfter is the usage of the event's quota after the correction.
	UsedAfter Quantity
	// Replayed is true when the correction ID was stored already: nothing changed.
	Replayed bool
}

// Correct applies a correction to a tracked event, atomically under the event's quota
// lock: for sum and count metrics the usage changes by the difference, for the
// others (max, min, avg, latest, unique_count) the period's usage is recomputed from
// its events as corrected. Rollups follow in their totals and counts.
//
// A correction may concern any period. While the period is open (its invoice not
// closed) it shows in the period's invoice; once the period is billed, the
// difference it makes is billed as an adjustment line on the subject's next invoice
// (see CloseInvoices).
//
// An amend that would raise a quota without overage past its limit returns a
// *QuotaExceededError and changes nothing. An event that is not stored returns an
// error matching ErrEventNotFound; one already voided, ErrEventVoided; bad input, a
// *ValidationError.
func (m *Meter) Correct(ctx context.Context, c Correction) (CorrectionResult, error) {
	if err := m.checkOpen(); err != nil {
		return CorrectionResult{}, err
	}
	if err := m.checkCorrection(&c); err != nil {
		return CorrectionResult{}, err
	}
	now := m.now()
	r, err := m.resolve(ctx, "correct", c.Subject, now)
	if err != nil {
		return CorrectionResult{}, err
	}
	if c.Kind == CorrectionAmend {
		// The metric, and so the exact rule, is known once the event is read; before
		// that, refuse what no metric takes: NaN, ±Inf and the widest bound passed.
		if _, why := quantityOf(math.Trunc(c.Value), wholeScale); why != "" {
			return CorrectionResult{}, invalid("value", "%s", why)
		}
	}
	var value Quantity
	var stored int64
	res, err := m.store.CorrectEvent(ctx, &store.CorrectEventParams{Now: now,
		Correction: store.Correction{ID: c.ID, Subject: c.Subject, EventID: c.EventID, Kind: c.Kind,
			Reason: c.Reason, Actor: c.Actor},
		Check: func(ev store.Event) (int64, string, error) {
			metric, ok := m.cfg.metrics[ev.Metric]
			if !ok {
				return 0, "", invalid("event_id", "the event's metric %q is no longer in Config.Metrics", ev.Metric)
			}
			if c.Kind == CorrectionAmend {
				v, why := quantityOf(c.Value, metric.scale())
				if why != "" {
					return 0, "", invalid("value", "%s", why)
				}
				if err := checkSign(metric, v); err != nil {
					return 0, "", err
				}
				value = v
				stored, _ = v.at(metric.scale())
			}
			return stored, metric.DistinctProperty, nil
		}})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return CorrectionResult{}, fmt.Errorf("%w: %q of subject %q", ErrEventNotFound, c.EventID, c.Subject)
	case errors.Is(err, store.ErrVoided):
		return CorrectionResult{}, fmt.Errorf("%w: %q of subject %q", ErrEventVoided, c.EventID, c.Subject)
	case err != nil:
		var ve *ValidationError
		if errors.As(err, &ve) {
			return CorrectionResult{}, ve
		}
		return CorrectionResult{}, fmt.Errorf("usage: %w", err)
	}
	record := res.Correction
	metric := m.cfg.metrics[res.Quota.Metric]
	period := r.periodAt(res.Quota.PeriodStart)
	if res.Refused {
		return CorrectionResult{}, &QuotaExceededError{Subject: c.Subject, Metric: res.Quota.Metric,
			Limit: metric.quantity(res.Quota.Limit), Used: metric.quantity(res.UsedBefore),
			Requested: value, PeriodEnd: period.End}
	}
	// A replay's Check did not run: compare what was asked with what is stored.
	if res.Replayed && (record.EventID != c.EventID || record.Kind != c.Kind ||
		(c.Kind == CorrectionAmend && !sameAmount(c.Value, metric.quantity(record.NewValue)))) {
		return CorrectionResult{}, &ConflictError{Subject: c.Subject, ID: c.ID}
	}
	if !res.Replayed {
		m.quotaChanged(res.Quota, now)
	}
	return CorrectionResult{
		Correction: m.correctionFromStore(record),
		Metric:     record.Metric, Period: period, Previous: metric.quantity(record.OldValue),
		UsedAfter: metric.quantity(res.Quota.Used), Replayed: res.Replayed,
	}, nil
}

func (m *Meter) checkCorrection(c *Correction) error {
	if err := checkName("subject", c.Subject, true); err != nil {
		return err
	}
	if err := checkName("event_id", c.EventID, true); err != nil {
		return err
	}
	if err := checkName("id", c.ID, false); err != nil {
		return err
	}
	if err := checkName("actor", c.Actor, false); err != nil {
		return err
	}
	if c.Kind != CorrectionVoid && c.Kind != CorrectionAmend {
		return invalid("kind", "%q: want %q or %q", truncate(string(c.Kind)), CorrectionVoid, CorrectionAmend)
	}
	if err := checkReason(c.Reason); err != nil {
		return err
	}
	if c.ID == "" {
		c.ID = generatedID()
	}
	return nil
}

// CorrectionRecord is a stored correction, as Meter.Corrections lists it.
type CorrectionRecord struct {
	// Correction is the correction as requested, with its ID. Its Value is the
	// event's value after it (zero for a void).
	Correction Correction
	// Metric is the corrected event's metric, and PeriodStart the start of the
	// billing period the event counts in.
	Metric      string
	PeriodStart time.Time
	// Previous is the event's value before the correction.
	Previous Quantity
	// CreatedAt is when the correction was stored.
	CreatedAt time.Time
}

// CorrectionPage is one page of Meter.Corrections.
type CorrectionPage struct {
	// Corrections are in the order they were stored.
	Corrections []CorrectionRecord
	// Next is the cursor of the following page, for the after argument.
	Next int64
	// More is true when the page is full, so corrections may follow Next.
	More bool
}

// Corrections lists a subject's corrections, oldest first, at most limit of them (0
// means DefaultPageSize; at most MaxPageSize) after the cursor after (zero starts
// at the first; pass each page's Next while More is true). Bad input returns a
// *ValidationError.
func (m *Meter) Corrections(ctx context.Context, subject string, after int64, limit int) (CorrectionPage, error) {
	if err := m.forSubject(subject); err != nil {
		return CorrectionPage{}, err
	}
	limit, err := pageSize(limit)
	if err != nil {
		return CorrectionPage{}, err
	}
	if after < 0 {
		return CorrectionPage{}, invalid("after", "%d: want the Next of a previous page, or 0", after)
	}
	res, err := m.store.ListCorrections(ctx, &store.ListCorrectionsParams{Subject: subject, AfterSeq: after, Limit: limit})
	if err != nil {
		return CorrectionPage{}, fmt.Errorf("usage: list corrections of %q: %w", subject, err)
	}
	page := CorrectionPage{Corrections: make([]CorrectionRecord, len(res.Corrections)), Next: after,
		More: len(res.Corrections) == limit}
	for i, c := range res.Corrections {
		page.Corrections[i] = CorrectionRecord{
			Correction: m.correctionFromStore(c),
			Metric:     c.Metric, PeriodStart: c.PeriodStart, Previous: m.cfg.metrics[c.Metric].quantity(c.OldValue),
			CreatedAt: c.CreatedAt,
		}
		page.Next = c.Seq
	}
	return page, nil
}

// correctionFromStore is a stored correction as the Meter shows it. A metric no
// longer configured reads at the default scale.
func (m *Meter) correctionFromStore(c store.Correction) Correction {
	return Correction{ID: c.ID, Subject: c.Subject, EventID: c.EventID, Kind: c.Kind,
		Value: m.cfg.metrics[c.Metric].quantity(c.NewValue).Float64(), Reason: c.Reason, Actor: c.Actor}
}

// sameAmount reports whether v reads as q at any scale.
func sameAmount(v float64, q Quantity) bool {
	got, why := quantityOf(v, microScale)
	if why != "" {
		got, why = quantityOf(v, wholeScale)
	}
	return why == "" && got == q
}
