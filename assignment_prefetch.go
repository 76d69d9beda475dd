package usage

import (
	"context"
	"fmt"
	"time"

	"github.com/usagekit/usage/store"
)

// prefetchAssignments reads, in one query, the assignments of the subjects of events
// that the cache does not hold, when there are several: a batch spanning many
// subjects seen for the first time would otherwise wait for one lookup per subject,
// one after another. It resolves and caches what it read as resolve would; a
// subject it leaves out (one without a plan) is looked up by resolve, which reports
// why. With a PlanResolver, subjects are resolved one by one as before.
func (m *Meter) prefetchAssignments(ctx context.Context, events []Event, now time.Time) error {
	if m.cfg.PlanResolver != nil || len(events) < 2 {
		return nil
	}
	var missing []string
	var seen map[string]bool
	for _, ev := range events {
		if r, ok := m.assignments.Peek(ev.Subject); (ok && now.Before((*r).expires)) || seen[ev.Subject] {
			continue
		}
		if seen == nil {
			seen = map[string]bool{}
		}
		seen[ev.Subject] = true
		missing = append(missing, ev.Subject)
	}
	if len(missing) < 2 {
		return nil
	}
	// A batch with an invalid event is refused without a call to the store.
	for _, ev := range events {
		if _, err := m.cfg.prepare(ev, now); err != nil {
			return nil
		}
	}
	// An assignment this Meter changes while the read runs may have been read as it
	// was before: what was read is dropped then, as the change dropped it.
	changes := m.refresher.changes.Load()
	res, err := m.store.GetSubjects(ctx, &store.GetSubjectsParams{Subjects: missing})
	if err != nil {
		return fmt.Errorf("usage: track: plans of %d subjects: %w", len(missing), err)
	}
	stored := make(map[string]store.Subject, len(res.Subjects))
	for _, s := range res.Subjects {
		stored[s.Subject] = s
	}
	for _, subject := range missing {
		s, ok := stored[subject]
		a := assignmentFrom(s)
		if !ok {
			if m.cfg.DefaultPlan == "" {
				continue
			}
			a = m.defaultAssignment(subject)
		}
		r, err := m.complete(a, now)
		if err != nil {
			continue
		}
		if err := m.applySubjectThresholds(ctx, r, now); err != nil {
			return fmt.Errorf("usage: track: %w", err)
		}
		schedule(r, now, m.cfg.AssignmentTTL)
		m.assignments.Add(subject, r)
	}
	if m.refresher.changes.Load() != changes {
		for _, subject := range missing {
			m.assignments.Remove(subject)
		}
	}
	return nil
}

// assignmentFrom is the assignment a store holds as s.
func assignmentFrom(s store.Subject) Assignment {
	return Assignment{Subject: s.Subject, Plan: s.Plan, Anchor: s.Anchor,
		Cycle: Cycle(s.Cycle), TimeZone: s.TimeZone}
}
