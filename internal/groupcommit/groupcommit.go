// Package groupcommit is the group commit behind Meter.Track: concurrent calls are
// handed to a few writer goroutines, each of which gathers what is waiting into one
// store.Ingest transaction. Every caller waits for the commit that holds its events
// and gets its own outcomes.
//
// Batches form naturally: what arrives while a commit is in flight makes up the next
// one, up to Options.MaxBatch events. A writer holds a batch open a little while it
// is smaller than the last, for the callers just answered that call again at once
// (Options.Wait instead holds every small batch open for a fixed time). Events are
// spread over the writers by subject, so the writers of one process do not wait
// for each other's quota row locks and their transactions run side by side; a
// call for several subjects is divided among their writers.
//
// It is bounded: at most Options.MaxInFlight events are accepted but not yet
// committed, and further callers wait for room until their context ends.
package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/usagekit/usage/internal/retry"
	"github.com/usagekit/usage/store"
)

// The errors a Writer returns of its own; the root package re-exports them.
var (
	// ErrClosed is returned for calls after Close, and for commits Close gave up on.
	ErrClosed = errors.New("usage: meter closed")
	// ErrOverloaded is returned when MaxInFlight events are already waiting to commit
	// and the caller's context ended before there was room, or when one call holds
	// more events than MaxInFlight.
	ErrOverloaded = errors.New("usage: overloaded")
)

// Options configure a Writer. Every field is required (the Meter's Config fills
// them in), except AfterWrite and OnCommit.
type Options struct {
	// Writers is the number of writer goroutines.
	Writers int
	// MaxBatch is the most events one transaction holds.
	MaxBatch int
	// Wait is how long a writer holds a small batch open for more events; zero
	// holds it only for the callers the writer's last commit answered (see hold).
	Wait time.Duration
	// MaxInFlight bounds the events accepted but not yet committed.
	MaxInFlight int
	// Logger receives a warning for each retry while the database is unavailable.
	Logger *slog.Logger
	// AfterWrite, when set, is called by the writer with each successful commit's
	// result, before its callers are answered.
	AfterWrite func(*store.IngestResult)
	// OnCommit, when set, is called by the writer after each commit it tries, with
	// the batch's events, how long the store took and its error.
	OnCommit func(events int, took time.Duration, err error)
}

// Writer is the group-commit writer over one store.
type Writer struct {
	store    store.Store
	logger   *slog.Logger
	maxBatch int
	wait     time.Duration
	// maxHold bounds how long a writer holds a batch open for the callers its
	// last commit answered (see hold).
	maxHold time.Duration
	// slots counts events in flight; a writer releases them after their commit.
	slots    *semaphore.Weighted
	maxSlots int64
	lanes    []*lane // one per writer
	// stopped ends when Close stops the writers; it also ends a commit in progress
	// when Close gives up waiting for it.
	stopped    context.Context
	stop       context.CancelFunc
	writers    sync.WaitGroup
	afterWrite func(*store.IngestResult)
	onCommit   func(events int, took time.Duration, err error)
}

// lane is one writer's queue and state.
type lane struct {
	queue chan *request // unbuffered: handed over directly
	// unavailable is the error of the writer's last failed commit while the
	// database is unavailable, nil once one succeeds: a caller who gives up
	// meanwhile is told the database is unavailable, not only that its context
	// ended. It is per writer, as one writer may still wait to retry when
	// another's commit has succeeded.
	unavailable atomic.Pointer[error]
}

// request is one call's events for one writer, waiting in its queue.
type request struct {
	ctx    context.Context
	events []store.IngestEvent
	now    time.Time
	done   chan result // buffered, so a writer never blocks on a caller
}

// result is what became of a request: the outcomes of its events, in order, or the
// error that stopped them.
type result struct {
	outcomes []store.Outcome
	err      error
}

// New starts a Writer's goroutines over st. Close stops them.
func New(st store.Store, opts Options) *Writer {
	w := &Writer{
		store: st, logger: opts.Logger, maxBatch: opts.MaxBatch, wait: opts.Wait, maxHold: maxHold,
		slots: semaphore.NewWeighted(int64(opts.MaxInFlight)), maxSlots: int64(opts.MaxInFlight),
		afterWrite: opts.AfterWrite, onCommit: opts.OnCommit,
	}
	w.stopped, w.stop = context.WithCancel(context.Background())
	for range max(opts.Writers, 1) {
		l := &lane{queue: make(chan *request)}
		w.lanes = append(w.lanes, l)
		w.writers.Go(func() { w.run(l) })
	}
	return w
}

// Writers is the number of writer goroutines.
func (w *Writer) Writers() int { return len(w.lanes) }

// WriterOf is the index of the writer of a subject's events. It is the same in
// every process with as many writers, so that the writers of several instances
// that share subjects meet on the same quota rows in the same pairs, rather than
// every writer of one instance waiting for every writer of the others.
func (w *Writer) WriterOf(subject string) int {
	return int(subjectHash(subject) % uint64(len(w.lanes)))
}

// subjectHash is a hash of a subject without a seed, the same in every process:
// FNV-1a, whose low bits alone spread poorly, mixed by the finaliser of MurmurHash3.
func subjectHash(subject string) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for i := 0; i < len(subject); i++ {
		h = (h ^ uint64(subject[i])) * prime
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// Commit stores the batch's events in shared transactions and returns once every
// part of it has its answer, which Batch.Outcome then gives per event. All of one
// subject's events commit together, in order. If every part's commit fails, the
// error is the failure; if only some do, their events' outcomes hold it. If ctx ends
// first, the error matches ctx's error; it also matches store.ErrUnavailable unless
// the Meter was full (ErrOverloaded) with commits succeeding: the events may or may not have been stored, and tracking them
// again with the same IDs is safe.
func (w *Writer) Commit(ctx context.Context, b *Batch, now time.Time) error {
	n := int64(len(b.events))
	if n > w.maxSlots {
		return fmt.Errorf("%w: a batch of %d events is more than Config.MaxInFlight (%d): split it", ErrOverloaded, n, w.maxSlots)
	}
	// A context that has ended already is not a full Meter (Acquire would fail it
	// even with room to spare): the caller checked it when its call began, so it
	// ended since, before the database took the events.
	if err := ctx.Err(); err != nil {
		return retry.GaveUp(err, retry.NoAnswer(errors.New("no commit tried yet")))
	}
	if err := w.slots.Acquire(ctx, n); err != nil {
		return fmt.Errorf("%w: Config.MaxInFlight (%d) events waiting to commit: %w", ErrOverloaded, w.maxSlots, w.gaveUp(err, b.parts...))
	}
	parts := b.parts
	if len(parts) == 1 {
		parts[0].result = w.commitPart(ctx, parts[0].lane, parts[0].events, now)
	} else {
		var wg sync.WaitGroup
		for i := range parts {
			wg.Go(func() { parts[i].result = w.commitPart(ctx, parts[i].lane, parts[i].events, now) })
		}
		wg.Wait()
	}
	for _, p := range parts {
		if p.err == nil {
			return nil
		}
	}
	return parts[0].err
}

// commitPart hands events, whose slots the caller holds, to a writer's queue and
// waits for their commit.
func (w *Writer) commitPart(ctx context.Context, l *lane, events []store.IngestEvent, now time.Time) result {
	req := &request{ctx: ctx, events: events, now: now, done: make(chan result, 1)}
	select {
	case l.queue <- req:
	case <-w.stopped.Done():
		w.slots.Release(int64(len(events)))
		return result{err: ErrClosed}
	case <-ctx.Done():
		// The writer was still busy with earlier commits: the database did not
		// take these events in time.
		w.slots.Release(int64(len(events)))
		return result{err: l.gaveUp(ctx.Err(), "no room in the writer's next commit")}
	}
	select {
	case r := <-req.done:
		return r
	case <-ctx.Done():
		// The database did not commit in time: the commit is unknown and running
		// it again is safe, which is what store.ErrUnavailable says.
		return result{err: fmt.Errorf("gave up waiting for the commit (the events may have been stored; tracking them again is safe): %w",
			l.gaveUp(ctx.Err(), "no commit yet"))}
	}
}

// gaveUp is the error of a caller whose context ended with cause while waiting for
// the lane: it matches store.ErrUnavailable too, with the error of the lane's last
// failed commit while they fail, else with why (the database did not answer in
// time).
func (l *lane) gaveUp(cause error, why string) error {
	if err := l.unavailable.Load(); err != nil {
		return retry.GaveUp(cause, *err)
	}
	return retry.GaveUp(cause, retry.NoAnswer(errors.New(why)))
}

// lastFailure is the error of the lane's last failed commit while they fail, else nil.
func (l *lane) lastFailure() error {
	if err := l.unavailable.Load(); err != nil {
		return *err
	}
	return nil
}

// gaveUp is the error of a caller of the parts whose context ended with cause
// while waiting for room: while any of their lanes is unavailable, it matches
// store.ErrUnavailable too; otherwise the Meter is full, not the database away.
func (w *Writer) gaveUp(cause error, parts ...part) error {
	for _, p := range parts {
		if err := p.lane.lastFailure(); err != nil {
			return retry.GaveUp(cause, err)
		}
	}
	return cause
}

// Close waits until every accepted event has been committed, or ctx ends, and then
// stops the writers. If ctx ends first, commits in progress are abandoned, so that
// an unreachable database does not hold Close past its deadline; their callers get
// ErrClosed, as do callers still waiting for room.
func (w *Writer) Close(ctx context.Context) error {
	err := w.slots.Acquire(ctx, w.maxSlots)
	w.stop()
	w.writers.Wait()
	if err == nil {
		w.slots.Release(w.maxSlots)
		return nil
	}
	return fmt.Errorf("usage: close: events still in flight: %w", err)
}
