// Package scheduler runs the Meter's maintenance jobs on a schedule, each by one
// instance at a time across every instance sharing the store.
//
// A job's schedule is a series of slots: the multiples of its interval since the
// zero time, in UTC (every hour on the hour, every day at midnight UTC). A job is due
// when its current slot has not completed. To run it, an instance takes the job's
// lease, a row in the store with an expiry (store.Store.AcquireLease), renews it
// while the job runs, and on success releases it recording the slot as completed, so
// no instance runs that slot again. If the instance dies, its lease expires and the
// next instance to check takes it over and runs the slot again: jobs are idempotent,
// so a run cut short does no harm.
//
// A lease row rather than Postgres advisory locks: it works alike on SQLite and
// Postgres, it holds the last completed slot (which an advisory lock cannot, and
// once-per-slot needs), it is not tied to one pooled connection that must stay
// checked out for the whole run, and its holder and expiry can be read by people.
// It costs one small write per renewal.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usagekit/usage/store"
)

// Leases is what the scheduler needs of a store.
type Leases interface {
	AcquireLease(ctx context.Context, params *store.AcquireLeaseParams) (*store.AcquireLeaseResult, error)
	ReleaseLease(ctx context.Context, params *store.ReleaseLeaseParams) (*store.ReleaseLeaseResult, error)
}

// Job is one maintenance job.
type Job struct {
	// Name identifies the job's lease across instances: the same job has the same
	// name everywhere.
	Name string
	// Every is the length of the job's slots.
	Every time.Duration
	// Run does the job's work once. It must be idempotent, and stop when ctx ends
	// (the instance is closing, or it lost the lease).
	Run func(ctx context.Context) error
}

// Run is one run of a job by this instance.
type Run struct {
	Job  string
	Slot time.Time
	Took time.Duration
	// Err is the job's failure, or ErrLeaseLost.
	Err error
}

// ErrLeaseLost ends a run whose lease could not be renewed before it expired:
// another instance may have taken the job over.
var ErrLeaseLost = errors.New("maintenance lease lost")

// Options configure a Scheduler. Leases, Holder, LeaseTime and Now are required.
type Options struct {
	Leases Leases
	// Holder names this instance in the leases; unique per running instance.
	Holder string
	// LeaseTime is how long a lease lasts without renewal: the bound on how long a
	// dead instance holds a job. Running jobs renew their lease every third of it.
	LeaseTime time.Duration
	// CheckEvery is how often Start's loop looks for due jobs. Defaults to a
	// quarter of LeaseTime.
	CheckEvery time.Duration
	// Now returns the current time, which decides the slots and expiries.
	Now func() time.Time
	// Logger receives a debug record per run and a warning per failure.
	Logger *slog.Logger
	// OnRun, when set, is called after each run this instance made.
	OnRun func(Run)
}

// Scheduler runs jobs under leases. It is safe for concurrent use.
type Scheduler struct {
	opts Options
	jobs []*job
	// stopped ends when Close is called; every run's context derives from it.
	stopped context.Context
	stop    context.CancelFunc
	loop    sync.WaitGroup
	runs    sync.WaitGroup
	started atomic.Bool
}

// job is a Job with what this instance knows of it.
type job struct {
	Job
	// running is held while this instance runs the job, so that its own loop and
	// RunDue never run it twice at once.
	running sync.Mutex
	// completed is the latest slot known to be completed: slots only move forward,
	// so a stale value is still a lower bound and saves a store call.
	completed atomic.Int64
}

// New returns a Scheduler of jobs. Nothing runs until Start or RunDue.
func New(opts Options, jobs []Job) (*Scheduler, error) {
	if opts.Leases == nil || opts.Holder == "" || opts.LeaseTime <= 0 || opts.Now == nil {
		return nil, errors.New("scheduler: Leases, Holder, LeaseTime and Now are required")
	}
	if opts.CheckEvery <= 0 {
		opts.CheckEvery = opts.LeaseTime / 4
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Scheduler{opts: opts}
	names := map[string]bool{}
	for _, j := range jobs {
		if j.Name == "" || j.Every <= 0 || j.Run == nil || names[j.Name] {
			return nil, fmt.Errorf("scheduler: job %q needs a unique name, a positive interval and a function", j.Name)
		}
		names[j.Name] = true
		s.jobs = append(s.jobs, &job{Job: j})
	}
	s.stopped, s.stop = context.WithCancel(context.Background())
	return s, nil
}

// Start starts the loop that runs due jobs every CheckEvery, each job in its own
// goroutine, until Close.
func (s *Scheduler) Start() {
	if s.started.Swap(true) || s.stopped.Err() != nil {
		return
	}
	s.loop.Go(func() {
		ticker := time.NewTicker(s.opts.CheckEvery)
		defer ticker.Stop()
		for {
			for _, j := range s.jobs {
				if j.running.TryLock() {
					s.runs.Go(func() {
						defer j.running.Unlock()
						s.runIfDue(s.stopped, j)
					})
				}
			}
			select {
			case <-ticker.C:
			case <-s.stopped.Done():
				return
			}
		}
	})
}

// RunDue runs, side by side, every job whose current slot has not completed and
// whose lease it can take, and returns the runs it made. A job that this instance
// or another is running is skipped. The error joins the runs' failures.
func (s *Scheduler) RunDue(ctx context.Context) ([]Run, error) {
	if s.stopped.Err() != nil {
		return nil, errors.New("scheduler: closed")
	}
	// The runs end with ctx or with Close, whichever comes first.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.stopped, cancel)
	defer stop()
	var mu sync.Mutex
	var runs []Run
	var errs []error
	var wg sync.WaitGroup
	for _, j := range s.jobs {
		if !j.running.TryLock() {
			continue
		}
		wg.Go(func() {
			defer j.running.Unlock()
			r, ran, err := s.runIfDue(ctx, j)
			mu.Lock()
			defer mu.Unlock()
			if ran {
				runs = append(runs, r)
				err = r.Err
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", j.Name, err))
			}
		})
	}
	wg.Wait()
	return runs, errors.Join(errs...)
}

// Close stops the loop, ends the runs in progress (their leases are released
// without completing the slot) and waits for them, or for ctx to end.
func (s *Scheduler) Close(ctx context.Context) error {
	s.stop()
	done := make(chan struct{})
	go func() {
		s.loop.Wait()
		s.runs.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
