package usage

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/usagekit/usage/internal/retry"
	"github.com/usagekit/usage/store"
)

// SetThresholds gives a subject its own alert thresholds for one metric, replacing
// its plan's (Limit.Thresholds) from the next event on: on this instance at once,
// on others within twice Config.AssignmentTTL. An empty, non-nil slice turns the metric's
// threshold alerts off for the subject; nil removes the subject's own thresholds,
// so its plan's apply again. Thresholds are checked as in a plan: each in
// (0, 1000] %, at most two decimals, none twice.
func (m *Meter) SetThresholds(ctx context.Context, subject, metric string, thresholds []Threshold) error {
	if _, err := m.subjectMetric(subject, metric); err != nil {
		return err
	}
	levels, err := alertLevels("thresholds", thresholds)
	if err != nil {
		return err
	}
	if _, err := m.store.SetThresholds(ctx, &store.SetThresholdsParams{Subject: subject, Metric: metric,
		Levels: levels, Remove: thresholds == nil, Now: m.now()}); err != nil {
		return fmt.Errorf("usage: set thresholds: %w", err)
	}
	m.ownThresholds.Store(nil)
	m.assignmentChanged(subject)
	return nil
}

// Thresholds returns the alert thresholds in force for a subject, by metric: its
// own (SetThresholds) or its plan's. Metrics without a limit have none and are
// absent, as are all metrics when Config.Alerts.Disabled is set.
func (m *Meter) Thresholds(ctx context.Context, subject string) (map[string][]Threshold, error) {
	if err := m.forSubject(subject); err != nil {
		return nil, err
	}
	r, err := m.resolve(ctx, "thresholds", subject, m.now())
	if err != nil {
		return nil, err
	}
	out := make(map[string][]Threshold, len(r.alerts))
	for metric, levels := range r.alerts {
		ths := make([]Threshold, len(levels))
		for i, l := range levels {
			ths[i] = Threshold{Percent: float64(l.Threshold) / 100, Severity: Severity(l.Severity)}
		}
		out[metric] = ths
	}
	return out, nil
}

// ownThresholds are every subject's own thresholds, as read at once: they are
// few (hosts set them for the odd subject), and one read of them all per
// Config.AssignmentTTL costs less than one per subject on a path that tracks.
type ownThresholds struct {
	bySubject map[string][]store.SubjectThresholds
	expires   time.Time
}

// applySubjectThresholds replaces, in a freshly resolved assignment, the plan's
// thresholds of the metrics for which the subject has its own.
func (m *Meter) applySubjectThresholds(ctx context.Context, r *resolved, now time.Time) error {
	if m.cfg.Alerts.Disabled {
		return nil
	}
	all := m.ownThresholds.Load()
	if all == nil || !now.Before(all.expires) {
		var err error
		if all, err = m.readOwnThresholds(ctx, now); err != nil {
			return err
		}
	}
	own := all.bySubject[r.Subject]
	if len(own) == 0 {
		return nil
	}
	// The subject's terms become its own: others may share the plan's.
	alerts := maps.Clone(r.alerts)
	for _, st := range own {
		// A metric the plan does not limit has no quota alerts to replace.
		if _, ok := alerts[st.Metric]; ok {
			alerts[st.Metric] = st.Levels
		}
	}
	r.terms = r.terms.withAlerts(alerts)
	return nil
}

// readOwnThresholds reads every subject's own thresholds and keeps them until
// Config.AssignmentTTL from now. Concurrent reads share one.
func (m *Meter) readOwnThresholds(ctx context.Context, now time.Time) (*ownThresholds, error) {
	read := func(ctx context.Context) (any, error) {
		res, err := m.store.ListThresholds(ctx, &store.ListThresholdsParams{})
		if err != nil {
			return nil, err
		}
		all := &ownThresholds{bySubject: map[string][]store.SubjectThresholds{}, expires: now.Add(m.cfg.AssignmentTTL)}
		for _, st := range res.Thresholds {
			all.bySubject[st.Subject] = append(all.bySubject[st.Subject], st)
		}
		m.ownThresholds.Store(all)
		return all, nil
	}
	// The key holds a NUL, which no subject does.
	v, err, _ := m.lookups.Do("\x00thresholds", func() (any, error) { return read(ctx) })
	if err != nil && ctx.Err() == nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		v, err = read(ctx) // the shared read ended with another caller's context
	}
	if err != nil {
		// The plan lookup before may have used up the caller's time: the database
		// did not answer in time, as for any call that waits for it.
		if ctx.Err() != nil && !errors.Is(err, ErrUnavailable) {
			err = retry.GaveUp(ctx.Err(), retry.NoAnswer(err))
		}
		return nil, fmt.Errorf("subjects' own thresholds: %w", err)
	}
	return v.(*ownThresholds), nil
}
