package usage

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// maxRefreshes bounds the assignment lookups running in the background at once; a
// subject whose refresh finds no room is refreshed by a later call, or looked up
// on the request path once its entry has expired.
const maxRefreshes = 4

// refresher reads cached assignments again ahead of their expiry, in the
// background, so that a call never waits for the lookup of a subject that is in
// use; and spreads the lookups over time, so that subjects first seen together are
// not all looked up again together.
type refresher struct {
	slots chan struct{}
	// ctx ends when the Meter closes; running holds the lookups still running.
	ctx     context.Context
	stop    context.CancelFunc
	running sync.WaitGroup
	// changes counts the assignment changes this Meter made (Assign,
	// SetThresholds): a refresh that overlaps one may have read what it replaced.
	changes atomic.Uint64
}

func newRefresher() *refresher {
	ctx, stop := context.WithCancel(context.Background())
	return &refresher{slots: make(chan struct{}, maxRefreshes), ctx: ctx, stop: stop}
}

// close stops the refreshes and waits until none is running.
func (f *refresher) close() {
	f.stop()
	f.running.Wait()
}

// schedule sets when r, resolved at now, expires and when it is refreshed: at a
// random point between three quarters and seven eighths of the TTL.
func schedule(r *resolved, now time.Time, ttl time.Duration) {
	r.expires = now.Add(ttl)
	r.refreshLeft = ttl - (ttl*3/4 + rand.N(ttl/8+1))
}

// refreshAt is when a call starts reading r again.
func (r *resolved) refreshAt() time.Time { return r.expires.Add(-r.refreshLeft) }

// refreshIfDue starts a background lookup of r's subject when r is past its
// refresh time and no refresh of it runs already.
func (m *Meter) refreshIfDue(r *resolved, now time.Time) {
	if now.Before(r.refreshAt()) || !r.refreshing.CompareAndSwap(false, true) {
		return
	}
	f := m.refresher
	select {
	case f.slots <- struct{}{}:
	default:
		r.refreshing.Store(false) // a later call tries again
		return
	}
	f.running.Go(func() {
		defer func() { <-f.slots }()
		changes := f.changes.Load()
		// No longer than the entry has left: past that, calls look up themselves.
		ctx, cancel := context.WithTimeout(f.ctx, r.expires.Sub(now))
		defer cancel()
		next, err := m.lookUpAndComplete(ctx, "refresh plan", r.Subject, now)
		if err != nil {
			r.refreshing.Store(false)
			return
		}
		m.assignments.Add(r.Subject, next)
		// An assignment changed meanwhile may have been read as it was: drop it, as
		// the change did.
		if f.changes.Load() != changes {
			m.assignments.Remove(r.Subject)
		}
	})
}

// assignmentChanged drops a subject's cached assignment after this Meter changed
// it, including what a refresh running meanwhile may have read before the change.
func (m *Meter) assignmentChanged(subject string) {
	m.refresher.changes.Add(1)
	m.lookups.Forget(subject)
	m.assignments.Remove(subject)
	// CheckQuota's answers from memory must not go on with the old assignment.
	for metric := range m.cfg.metrics {
		m.view.Detach(subject, metric)
	}
}
