package scheduler

import (
	"context"
	"time"

	"github.com/usagekit/usage/store"
)

// releaseTimeout bounds the release of a lease after its run, which goes on after
// the run's context ended (on Close): a lease released is free at once instead of
// at its expiry.
const releaseTimeout = 5 * time.Second

// slotOf is the start of the slot of a job with interval every that holds t.
func slotOf(t time.Time, every time.Duration) time.Time { return t.Truncate(every).UTC() }

// runIfDue runs j if its current slot has not completed and this instance gets its
// lease. It reports whether it ran, and the failure to find out.
func (s *Scheduler) runIfDue(ctx context.Context, j *job) (Run, bool, error) {
	now := s.opts.Now()
	slot := slotOf(now, j.Every)
	if j.completed.Load() >= slot.UnixMicro() {
		return Run{}, false, nil
	}
	res, err := s.opts.Leases.AcquireLease(ctx, &store.AcquireLeaseParams{Name: j.Name, Holder: s.opts.Holder,
		Now: now, TTL: s.opts.LeaseTime})
	if err != nil {
		s.opts.Logger.Warn("usage: maintenance: cannot take the job's lease", "job", j.Name, "err", err)
		return Run{}, false, err
	}
	s.learn(j, res.Lease.Completed)
	if !res.Acquired {
		return Run{}, false, nil
	}
	if !res.Lease.Completed.Before(slot) {
		// Another instance completed the slot between our look and the lease.
		s.release(j, time.Time{})
		return Run{}, false, nil
	}
	r := s.run(ctx, j, slot, res.Lease.ExpiresAt)
	if s.opts.OnRun != nil {
		s.opts.OnRun(r)
	}
	if r.Err != nil {
		s.opts.Logger.Warn("usage: maintenance job failed", "job", j.Name, "slot", slot, "took", r.Took, "err", r.Err)
	} else {
		s.opts.Logger.Debug("usage: maintenance job ran", "job", j.Name, "slot", slot, "took", r.Took)
	}
	return r, true, nil
}

// learn records that slot has completed, if it is later than what j knew.
func (s *Scheduler) learn(j *job, slot time.Time) {
	if slot.IsZero() {
		return
	}
	us := slot.UnixMicro()
	for {
		old := j.completed.Load()
		if old >= us || j.completed.CompareAndSwap(old, us) {
			return
		}
	}
}

// run runs j for slot under the lease that expires at expires, renewing it every
// third of LeaseTime; a run that cannot renew in time is cancelled with
// ErrLeaseLost. On success the release records the slot as completed.
func (s *Scheduler) run(ctx context.Context, j *job, slot, expires time.Time) Run {
	start := time.Now()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		s.renew(ctx, j, expires, cancel)
	}()
	err := j.Run(ctx)
	lost := context.Cause(ctx) == ErrLeaseLost
	cancel(nil)
	<-renewed
	if lost {
		err = ErrLeaseLost
	}
	var completed time.Time
	if err == nil {
		completed = slot
	}
	if !lost {
		if s.release(j, completed) {
			s.learn(j, completed)
		}
	}
	return Run{Job: j.Name, Slot: slot, Took: time.Since(start), Err: err}
}

// renew keeps the lease, which expires at expires, until ctx ends, and cancels the
// run with ErrLeaseLost when another holder has it or it expired before a renewal
// got through.
func (s *Scheduler) renew(ctx context.Context, j *job, expires time.Time, cancel context.CancelCauseFunc) {
	ticker := time.NewTicker(s.opts.LeaseTime / 3)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		now := s.opts.Now()
		res, err := s.opts.Leases.AcquireLease(ctx, &store.AcquireLeaseParams{Name: j.Name, Holder: s.opts.Holder,
			Now: now, TTL: s.opts.LeaseTime})
		switch {
		case err == nil && res.Acquired:
			expires = res.Lease.ExpiresAt
		case err == nil || !now.Before(expires):
			cancel(ErrLeaseLost)
			return
		default:
			// The store is unavailable: the lease is still ours until it expires.
			s.opts.Logger.Warn("usage: maintenance: cannot renew the job's lease", "job", j.Name, "err", err)
		}
	}
}

// release gives up j's lease, recording completed unless it is zero, and reports
// whether it was still ours.
func (s *Scheduler) release(j *job, completed time.Time) bool {
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	res, err := s.opts.Leases.ReleaseLease(ctx, &store.ReleaseLeaseParams{Name: j.Name, Holder: s.opts.Holder, Completed: completed})
	if err != nil {
		s.opts.Logger.Warn("usage: maintenance: cannot release the job's lease; it expires by itself", "job", j.Name, "err", err)
		return false
	}
	return res.Released
}
