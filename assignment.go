package usage

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/usagekit/usage/internal/clockcache"
	"github.com/usagekit/usage/store"
)

// Assignment puts a subject on a plan.
type Assignment struct {
	// Subject is the tenant or customer.
	Subject string
	// Plan is the key of one of the Config's plans.
	Plan string
	// Anchor is the start of the subscription; anniversary periods repeat from its day
	// of the month. Zero means now.
	Anchor time.Time
	// Cycle lays out the billing periods. Defaults to CycleCalendar.
	Cycle Cycle
	// TimeZone is the subject's IANA time zone, such as "Europe/Lisbon", in which
	// periods start at midnight. Defaults to "UTC".
	TimeZone string
}

// PlanResolver tells a Meter which plan a subject is on, for hosts that keep plans
// in their own licensing system. Resolve is called about once per subject per
// Config.AssignmentTTL while the subject is in use, in the background ahead of the
// cached answer's expiry; it must be safe for concurrent use. An error that matches
// ErrNoPlan means the subject has no plan.
type PlanResolver interface {
	Resolve(ctx context.Context, subject string) (Assignment, error)
}

// resolved is a subject's assignment with what the Meter derives from it: the
// subject, its terms and how long the Meter keeps it.
type resolved struct {
	// Subject is the subject's; it hides the terms' Assignment.Subject, which is
	// empty (see assignment).
	Subject string
	*terms
	// expires is when the entry is no longer used; from refreshLeft before it
	// on, a call starts reading it again in the background (refreshing is set
	// meanwhile).
	expires     time.Time
	refreshLeft time.Duration
	refreshing  atomic.Bool
}

// terms are what an assignment gives its subject. Subjects on the same terms may
// share them: every subject on the DefaultPlan without an assignment of its own
// does (see Meter.termsOf), so that the Meter keeps many such subjects for little
// more than their keys. Terms are not changed once made.
type terms struct {
	// Assignment has no Subject: the subject is resolved's.
	Assignment
	plan Plan
	// limits are the plan's, by metric key (see Config.limits).
	limits map[string]store.QuotaLimit
	// alerts are the plan's alert thresholds, by metric key (see
	// Config.alertLevels).
	alerts map[string][]store.AlertLevel
	loc    *time.Location
	// current caches the period computed last: most calls ask about now.
	current atomic.Pointer[Period]
}

// assignment is the subject's assignment, with its defaults filled in.
func (r *resolved) assignment() Assignment {
	a := r.Assignment
	a.Subject = r.Subject
	return a
}

// periodAt is the billing period holding t, from the cache when it holds the
// period computed last, as nearly every event is of the current one.
func (t *terms) periodAt(at time.Time) Period {
	if p := t.current.Load(); p != nil && p.Contains(at) {
		return *p
	}
	p := PeriodAt(at, t.Cycle, t.Anchor, t.loc)
	t.current.Store(&p)
	return p
}

// assignments caches resolved assignments for Config.AssignmentTTL, at most
// Config.AssignmentCacheSize of them: past that one not read recently is dropped
// (see clockcache), and looked up again when its subject returns. A hit takes no
// lock.
type assignments = *clockcache.Cache[string, *resolved]

// Assign puts a subject on a plan, replacing its previous assignment. Other instances
// see the change within Config.AssignmentTTL. A change within a period applies the
// new plan's limits to the period's quotas from now on (units granted stay granted);
// the period is billed by the plan in force at its end (see Invoice).
func (m *Meter) Assign(ctx context.Context, a Assignment) error {
	if err := m.forSubject(a.Subject); err != nil {
		return err
	}
	now := m.now()
	r, err := m.complete(a, now)
	if err != nil {
		return err
	}
	if err := m.changePlan(ctx, r, now); err != nil {
		return err
	}
	// A lookup already running may have read the old plan: later calls must not
	// join it.
	m.assignmentChanged(a.Subject)
	return nil
}

// complete checks an assignment and fills in its defaults.
func (m *Meter) complete(a Assignment, now time.Time) (*resolved, error) {
	plan, ok := m.cfg.plans[a.Plan]
	if !ok {
		return nil, fmt.Errorf("%w %q for subject %q", ErrUnknownPlan, truncate(a.Plan), a.Subject)
	}
	if a.Cycle == "" {
		a.Cycle = CycleCalendar
	}
	if !a.Cycle.valid() {
		return nil, invalid("cycle", "%q: want %q or %q", truncate(string(a.Cycle)), CycleCalendar, CycleAnniversary)
	}
	if a.TimeZone == "" {
		a.TimeZone = "UTC"
	}
	if err := checkName("time_zone", a.TimeZone, true); err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(a.TimeZone)
	if err != nil {
		return nil, invalid("time_zone", "%q is not an IANA time zone", truncate(a.TimeZone))
	}
	if a.Anchor.IsZero() {
		a.Anchor = now
	}
	a.Anchor = a.Anchor.Truncate(time.Microsecond)
	subject := a.Subject
	a.Subject = ""
	return &resolved{Subject: subject, terms: m.termsOf(a, plan, loc)}, nil
}

// termsOf returns the terms of a, an assignment without its subject and with its
// defaults filled in, on plan in loc: those shared by every subject on the
// DefaultPlan's terms if a is on them, else terms of its own.
func (m *Meter) termsOf(a Assignment, plan Plan, loc *time.Location) *terms {
	shared := m.cfg.DefaultPlan != "" && a == Assignment{Plan: m.cfg.DefaultPlan, Anchor: defaultAnchor,
		Cycle: CycleCalendar, TimeZone: "UTC"}
	if shared {
		if t := m.defaultTerms.Load(); t != nil {
			return t
		}
	}
	t := &terms{Assignment: a, plan: plan, limits: m.cfg.limits[plan.Key], alerts: m.cfg.alertLevels[plan.Key], loc: loc}
	if shared && !m.defaultTerms.CompareAndSwap(nil, t) {
		return m.defaultTerms.Load()
	}
	return t
}

// withAlerts returns terms like t with alerts in place of t's.
func (t *terms) withAlerts(alerts map[string][]store.AlertLevel) *terms {
	return &terms{Assignment: t.Assignment, plan: t.plan, limits: t.limits, alerts: alerts, loc: t.loc}
}

// resolve returns a subject's assignment, from the cache while it is fresh. op names
// the public method, for the prefix of a failed lookup's error ("usage: track: …").
// An entry near its expiry is refreshed in the background (see refreshIfDue).
func (m *Meter) resolve(ctx context.Context, op, subject string, now time.Time) (*resolved, error) {
	if r, fresh := m.cachedAssignment(subject, now); fresh {
		return r, nil
	}
	r, err := m.lookUpAndComplete(ctx, op, subject, now)
	if err != nil {
		return nil, err
	}
	m.assignments.Add(subject, r)
	return r, nil
}

// cachedAssignment returns subject's cached assignment, nil if there is none, and
// whether it is fresh at now. A fresh one near its expiry is refreshed in the
// background (see refreshIfDue).
func (m *Meter) cachedAssignment(subject string, now time.Time) (r *resolved, fresh bool) {
	if cached, ok := m.assignments.Get(subject); ok {
		r = *cached
	}
	if r == nil || !now.Before(r.expires) {
		return r, false
	}
	m.refreshIfDue(r, now)
	return r, true
}

// lookUpAndComplete looks up a subject's assignment (shared with concurrent calls)
// and resolves it, valid for Config.AssignmentTTL from now; op is as for resolve.
func (m *Meter) lookUpAndComplete(ctx context.Context, op, subject string, now time.Time) (*resolved, error) {
	a, err := m.sharedLookup(ctx, subject)
	if err != nil {
		if errors.Is(err, ErrNoPlan) {
			return nil, err
		}
		return nil, fmt.Errorf("usage: %s: %w", op, err)
	}
	r, err := m.complete(a, now)
	if err != nil {
		return nil, err
	}
	if err := m.applySubjectThresholds(ctx, r, now); err != nil {
		return nil, fmt.Errorf("usage: %s: %w", op, err)
	}
	schedule(r, now, m.cfg.AssignmentTTL)
	return r, nil
}

// resolveForRead is resolve for a read that Config.WhenUnavailable governs: with
// AnswerStale, when the database is unavailable it returns the subject's cached
// assignment past its AssignmentTTL, with stale set, rather than wait.
func (m *Meter) resolveForRead(ctx context.Context, op, subject string, now time.Time) (r *resolved, stale bool, err error) {
	cached, fresh := m.cachedAssignment(subject, now)
	if fresh {
		// What resolve would answer, without looking the subject up a second time.
		return cached, false, nil
	}
	if m.cfg.WhenUnavailable != AnswerStale || cached == nil || m.cfg.PlanResolver != nil {
		r, err = m.resolve(ctx, op, subject, now)
		return r, false, err
	}
	// One attempt tells whether the database answers; if it does, resolve looks up
	// as usual.
	if _, err := m.direct.GetSubject(ctx, &store.GetSubjectParams{Subject: subject}); errors.Is(err, ErrUnavailable) {
		return cached, true, nil
	}
	r, err = m.resolve(ctx, op, subject, now)
	return r, false, err
}

// sharedLookup is lookup, shared with the concurrent calls for the same subject.
// The shared lookup runs under the context of the call that started it; a call whose
// own context is still alive when that one ended looks up again by itself.
func (m *Meter) sharedLookup(ctx context.Context, subject string) (Assignment, error) {
	v, err, _ := m.lookups.Do(subject, func() (any, error) { return m.lookup(ctx, subject) })
	if err != nil && ctx.Err() == nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return m.lookup(ctx, subject)
	}
	if err != nil {
		return Assignment{}, err
	}
	return v.(Assignment), nil
}

// lookup asks the PlanResolver, or the store, for a subject's assignment, falling
// back to the DefaultPlan. Its failures other than ErrNoPlan have no prefix: the
// calls sharing a lookup each add their own.
func (m *Meter) lookup(ctx context.Context, subject string) (Assignment, error) {
	if m.cfg.PlanResolver != nil {
		a, err := m.cfg.PlanResolver.Resolve(ctx, subject)
		if err == nil {
			a.Subject = subject
			return a, nil
		}
		if !errors.Is(err, ErrNoPlan) {
			return Assignment{}, fmt.Errorf("resolve plan of %q: %w", subject, err)
		}
	} else {
		res, err := m.store.GetSubject(ctx, &store.GetSubjectParams{Subject: subject})
		if err == nil {
			return assignmentFrom(res.Subject), nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return Assignment{}, fmt.Errorf("plan of %q: %w", subject, err)
		}
	}
	if m.cfg.DefaultPlan == "" {
		return Assignment{}, fmt.Errorf("%w: %q: assign one with Meter.Assign or set Config.DefaultPlan", ErrNoPlan, subject)
	}
	return m.defaultAssignment(subject), nil
}

// defaultAssignment puts a subject without a stored assignment on the DefaultPlan.
func (m *Meter) defaultAssignment(subject string) Assignment {
	// The epoch as anchor keeps a default subject's periods the same on every
	// instance; with the calendar cycle the anchor is not used anyway.
	return Assignment{Subject: subject, Plan: m.cfg.DefaultPlan, Anchor: defaultAnchor}
}

// defaultAnchor is the anchor of a subject on the DefaultPlan.
var defaultAnchor = time.Unix(0, 0).UTC()

// changePlan stores a new assignment and applies its limits to the current
// period's quota rows.
func (m *Meter) changePlan(ctx context.Context, r *resolved, now time.Time) error {
	res, err := m.store.ChangePlan(ctx, &store.ChangePlanParams{At: now, Limits: r.limits,
		Subject: store.Subject{Subject: r.Subject, Plan: r.Plan, Anchor: r.Anchor, Cycle: string(r.Cycle),
			TimeZone: r.TimeZone, UpdatedAt: now}})
	if err != nil {
		return fmt.Errorf("usage: %w", err)
	}
	for _, q := range res.Quotas {
		m.quotaChanged(q, now)
	}
	return nil
}
