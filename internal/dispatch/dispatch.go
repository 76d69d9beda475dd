// Package dispatch is the Meter's outbox dispatcher: it claims due deliveries of
// alerts from the store under a lease, hands each to a bounded pool of goroutines
// that deliver it, and records the outcome: delivered, due again after a capped
// exponential backoff with jitter, or failed for good (refused permanently, or
// given up after a time). Deliveries are claimed only as workers free up, so memory
// stays bounded however many are pending. Several dispatchers, in one process or
// many, share a store: the lease keeps them from delivering one attempt at once,
// and a dispatcher that dies leaves its claims to be taken again when their leases
// end, so each delivery is made at least once.
package dispatch

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/usagekit/usage/store"
)

// Outcome is what became of one attempt.
type Outcome struct {
	// DeliveredTo lists the receivers that have the delivery, this attempt's and
	// the earlier ones'.
	DeliveredTo []string
	// Err is nil when every receiver has it.
	Err error
	// Permanent means trying again cannot help: the delivery fails now.
	Permanent bool
	// RetryAfter is the least wait before the next attempt a receiver asked for.
	RetryAfter time.Duration
}

// Deliver makes one attempt at a claimed delivery. It must return when ctx ends.
type Deliver func(ctx context.Context, a store.Alert) Outcome

// Options configure a Dispatcher. All are required unless said otherwise.
type Options struct {
	Store   store.Store
	Deliver Deliver
	// Workers bounds the deliveries in progress, and so the goroutines and the
	// claimed deliveries held in memory.
	Workers int
	// Poll is how long the dispatcher waits before it looks for due deliveries
	// again after finding none.
	Poll time.Duration
	// Lease is how long a claim holds; it must outlast an attempt.
	Lease time.Duration
	// GiveUpAfter is how long after an alert was raised its delivery fails instead
	// of being tried again.
	GiveUpAfter time.Duration
	// MinDelay and MaxDelay bound the backoff between attempts.
	MinDelay, MaxDelay time.Duration
	// Now returns the current time.
	Now    func() time.Time
	Logger *slog.Logger
}

// Dispatcher delivers due deliveries until Stop.
type Dispatcher struct {
	opts   Options
	cancel context.CancelFunc
	done   chan struct{}
	wake   chan struct{}
}

// Start starts a Dispatcher: one goroutine that claims, and at most Workers that
// deliver.
func Start(opts Options) *Dispatcher {
	ctx, cancel := context.WithCancel(context.Background())
	d := &Dispatcher{opts: opts, cancel: cancel, done: make(chan struct{}), wake: make(chan struct{}, 1)}
	go d.run(ctx)
	return d
}

// Wake makes the dispatcher look for due deliveries now rather than at its next
// poll. It never blocks.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Stop ends the dispatcher: attempts in progress are cancelled (their deliveries
// are due again when their leases end) and Stop returns when every goroutine has,
// or when ctx ends first, with ctx's error.
func (d *Dispatcher) Stop(ctx context.Context) error {
	d.cancel()
	select {
	case <-d.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run claims deliveries as workers free up and hands them out, until ctx ends.
func (d *Dispatcher) run(ctx context.Context) {
	defer close(d.done)
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, d.opts.Workers)
	failures := 0
	for {
		// Claim no more than the free workers can take.
		free := d.opts.Workers - len(slots)
		var claimed []store.Alert
		var err error
		if free > 0 {
			var res *store.ClaimDeliveriesResult
			res, err = d.opts.Store.ClaimDeliveries(ctx, &store.ClaimDeliveriesParams{
				Now: d.opts.Now(), Lease: d.opts.Lease, Limit: free})
			if err == nil {
				claimed = res.Alerts
			}
		}
		if ctx.Err() != nil {
			return
		}
		wait := d.opts.Poll
		switch {
		case err != nil:
			failures++
			wait = backoff(d.opts.MinDelay/10, d.opts.Poll*10, failures)
			d.opts.Logger.Warn("usage: claim alert deliveries", "err", err)
		case len(claimed) == free && free > 0:
			failures, wait = 0, 0 // more may be due
		default:
			failures = 0
		}
		for _, a := range claimed {
			slots <- struct{}{}
			wg.Go(func() {
				defer func() { <-slots; d.Wake() }()
				d.attempt(ctx, a)
			})
		}
		if !d.sleep(ctx, wait) {
			return
		}
	}
}

// sleep waits for wait, or until Wake or a worker that frees up ends it early. It
// reports false when ctx has ended.
func (d *Dispatcher) sleep(ctx context.Context, wait time.Duration) bool {
	if wait == 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-d.wake:
	case <-timer.C:
	}
	return true
}

// attempt delivers one claimed delivery and records the outcome.
func (d *Dispatcher) attempt(ctx context.Context, a store.Alert) {
	now := d.opts.Now()
	p := &store.CompleteDeliveryParams{ID: a.Delivery.ID, Attempt: a.Delivery.Attempts,
		DeliveredTo: a.Delivery.DeliveredTo, Now: now}
	if now.Sub(a.CreatedAt) >= d.opts.GiveUpAfter {
		p.State, p.Error = store.DeliveryFailed, "gave up: not delivered within the give-up time"
	} else {
		// An attempt ends with its lease, before another claimer may start one.
		attemptCtx, cancel := context.WithDeadline(ctx, now.Add(d.opts.Lease))
		o := d.opts.Deliver(attemptCtx, a)
		cancel()
		if ctx.Err() != nil && errors.Is(o.Err, context.Canceled) {
			return // stopping: the lease's end makes it due again
		}
		now = d.opts.Now()
		p.DeliveredTo, p.Now = o.DeliveredTo, now
		switch {
		case o.Err == nil:
			p.State = store.DeliveryDelivered
		case o.Permanent:
			p.State, p.Error = store.DeliveryFailed, o.Err.Error()
		default:
			next := now.Add(max(backoff(d.opts.MinDelay, d.opts.MaxDelay, a.Delivery.Attempts), o.RetryAfter))
			p.State, p.NextAt, p.Error = store.DeliveryPending, next, o.Err.Error()
			if next.Sub(a.CreatedAt) >= d.opts.GiveUpAfter {
				p.State, p.NextAt = store.DeliveryFailed, time.Time{}
				p.Error = "gave up after " + d.opts.GiveUpAfter.String() + ": " + p.Error
			}
		}
	}
	// Recorded even while stopping: the outcome is known and must not be lost.
	rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.opts.Lease)
	defer cancel()
	if _, err := d.opts.Store.CompleteDelivery(rec, p); err != nil {
		d.opts.Logger.Warn("usage: record alert delivery", "delivery", a.Delivery.ID, "err", err)
	}
}

// backoff is the wait before attempt n+1 after n failed ones: min doubled n-1
// times, capped at max, then jittered to between half and all of it, so that
// deliveries failing together spread out.
func backoff(minDelay, maxDelay time.Duration, n int) time.Duration {
	d := minDelay
	for i := 1; i < n && d < maxDelay; i++ {
		d *= 2
	}
	d = min(d, maxDelay)
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}
