package usage

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/usagekit/usage/store"
)

// Retry of a batch while the database is unavailable: capped exponential backoff
// with full jitter, for as long as a caller in the batch still waits.
const (
	unavailableBaseDelay = 10 * time.Millisecond
	unavailableMaxDelay  = time.Second
)

// batcher is the group commit behind Track: concurrent calls are handed to a few
// writer goroutines, each of which gathers what is waiting into one transaction.
// Every caller waits for the commit that holds its events and gets its own outcomes.
// Batches form naturally: what arrives while a commit is in flight makes up the next
// one, up to maxBatch events (BatchWait can hold a small batch open a little longer).
// Events are spread over the writers by subject, so the writers of one process do not
// wait for each other's quota row locks and their transactions run side by side; a
// call for several subjects is divided among their writers.
//
// It is bounded: at most MaxInFlight events are accepted but not yet committed, and
// further callers wait for room until their context ends.
type batcher struct {
	store    store.Store
	logger   *slog.Logger
	maxBatch int
	wait     time.Duration
	// slots counts events in flight; a writer releases them after their commit.
	slots    *semaphore.Weighted
	maxSlots int64
	queues   []chan *commitRequest // one per writer, unbuffered: handed over directly
	seed     maphash.Seed
	// stopped ends when Close stops the writers; it also ends a commit in progress
	// when Close gives up waiting for it.
	stopped    context.Context
	stop       context.CancelFunc
	writers    sync.WaitGroup
	afterWrite func(*store.IngestResult)
}

type commitRequest struct {
	ctx    context.Context
	events []store.IngestEvent
	now    time.Time
	done   chan commitResult // buffered, so a writer never blocks on a caller
}

type commitResult struct {
	outcomes []store.Outcome
	err      error
}

func newBatcher(st store.Store, cfg *Config, afterWrite func(*store.IngestResult)) *batcher {
	writers := cfg.Writers
	if writers == 0 {
		writers = 1
		if st.Capabilities().ConcurrentWriters {
			writers = DefaultConcurrentWriters
		}
	}
	b := &batcher{
		store: st, logger: cfg.Logger, maxBatch: cfg.MaxBatchSize, wait: cfg.BatchWait,
		slots: semaphore.NewWeighted(int64(cfg.MaxInFlight)), maxSlots: int64(cfg.MaxInFlight),
		afterWrite: afterWrite, seed: maphash.MakeSeed(),
	}
	b.stopped, b.stop = context.WithCancel(context.Background())
	for range writers {
		queue := make(chan *commitRequest)
		b.queues = append(b.queues, queue)
		b.writers.Go(func() { b.run(queue) })
	}
	return b
}

// commit stores events in shared transactions and returns their outcomes once they
// have committed. The events go to the writers by subject, so all of one subject's
// events commit together, in order; the result has one entry per writer. If every
// writer's commit fails, err is the failure; if only some do, their entries hold it.
// If ctx ends first, the error says so and the events may or may not have been
// stored: tracking them again with the same IDs is safe.
func (b *batcher) commit(ctx context.Context, parts []part, now time.Time) ([]committed, error) {
	var n int64
	for _, p := range parts {
		n += int64(len(p.events))
	}
	if n > b.maxSlots {
		return nil, fmt.Errorf("%w: a batch of %d events is more than Config.MaxInFlight (%d): split it", ErrOverloaded, n, b.maxSlots)
	}
	// A context that has ended already is the caller's doing, not a full Meter:
	// Acquire would fail it even with room to spare.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := b.slots.Acquire(ctx, n); err != nil {
		return nil, fmt.Errorf("%w: Config.MaxInFlight (%d) events waiting to commit: %w", ErrOverloaded, b.maxSlots, err)
	}
	results := make([]committed, len(parts))
	if len(parts) == 1 {
		results[0].outcomes, results[0].err = b.commitPart(ctx, parts[0].queue, parts[0].events, now)
	} else {
		var wg sync.WaitGroup
		for i, p := range parts {
			wg.Go(func() {
				results[i].outcomes, results[i].err = b.commitPart(ctx, p.queue, p.events, now)
			})
		}
		wg.Wait()
	}
	for _, r := range results {
		if r.err == nil {
			return results, nil
		}
	}
	return nil, results[0].err
}

// committed is what became of one writer's part of a call: the outcomes of its
// events, or the error that stopped them.
type committed struct {
	outcomes []store.Outcome
	err      error
}

// part is the events of one call for one writer's subjects, and their places in
// the call (nil when the part is the whole call).
type part struct {
	queue  chan *commitRequest
	events []store.IngestEvent
	at     []int
}

// layout places the n events of a call, whose subjects subject gives, in one slice
// grouped by the writer of their subject, in call order within each group, so that
// each writer's part is a piece of it and no event is copied again: the caller
// builds event i at events[slot[i]] (at i when slot is nil).
func (b *batcher) layout(n int, subject func(int) string) (events []store.IngestEvent, slot []int, parts []part) {
	events = takeEvents(n)
	writer := make([]int, n)
	count := make([]int, len(b.queues))
	for i := range n {
		writer[i] = b.writerOf(subject(i))
		count[writer[i]]++
	}
	if count[writer[0]] == n {
		return events, nil, []part{{queue: b.queues[writer[0]], events: events}}
	}
	start := make([]int, len(b.queues)) // where each writer's piece starts
	index := make([]int, len(b.queues)) // and its part in parts
	for w, c := range count {
		if w > 0 {
			start[w] = start[w-1] + count[w-1]
		}
		if c > 0 {
			index[w] = len(parts)
			parts = append(parts, part{queue: b.queues[w], events: events[start[w] : start[w]+c : start[w]+c],
				at: make([]int, 0, c)})
		}
	}
	slot = make([]int, n)
	for i := range n {
		p := &parts[index[writer[i]]]
		slot[i] = start[writer[i]] + len(p.at)
		p.at = append(p.at, i)
	}
	return events, slot, parts
}

// eventSlices keeps the event slices of finished calls for later ones: a busy
// Meter lays out calls all the time, and slices allocated anew would be collected
// anew, at a cost in the host's CPU that grows with the events.
var eventSlices sync.Pool

// takeEvents returns a zeroed slice of n events, from eventSlices if one there is
// long enough.
func takeEvents(n int) []store.IngestEvent {
	if p, ok := eventSlices.Get().(*[]store.IngestEvent); ok && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]store.IngestEvent, n)
}

// recycle gives back the slice of layout once nothing refers to its events: its
// call has all its answers, so no writer holds it.
func recycle(events []store.IngestEvent) {
	clear(events) // keep no caller's events alive
	eventSlices.Put(&events)
}

// place is where an index of layout maps i: s[i], or i itself where s is nil.
func place(s []int, i int) int {
	if s == nil {
		return i
	}
	return s[i]
}

// writerOf is the index of the writer of a subject's events.
func (b *batcher) writerOf(subject string) int {
	return int(maphash.String(b.seed, subject) % uint64(len(b.queues)))
}

// commitPart hands events, for whose slots the caller holds, to a writer's queue
// and waits for their commit.
func (b *batcher) commitPart(ctx context.Context, queue chan *commitRequest, events []store.IngestEvent, now time.Time) ([]store.Outcome, error) {
	req := &commitRequest{ctx: ctx, events: events, now: now, done: make(chan commitResult, 1)}
	select {
	case queue <- req:
	case <-b.stopped.Done():
		b.slots.Release(int64(len(events)))
		return nil, ErrClosed
	case <-ctx.Done():
		b.slots.Release(int64(len(events)))
		return nil, ctx.Err()
	}
	select {
	case r := <-req.done:
		return r.outcomes, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("usage: gave up waiting for the commit (the events may have been stored; tracking them again is safe): %w", ctx.Err())
	}
}

// close waits until every accepted event has been committed, or ctx ends, and then
// stops the writers. If ctx ends first, commits in progress are abandoned, so that
// an unreachable database does not hold Close past its deadline; their callers get
// ErrClosed, as do callers still waiting for room.
func (b *batcher) close(ctx context.Context) error {
	err := b.slots.Acquire(ctx, b.maxSlots)
	b.stop()
	b.writers.Wait()
	if err == nil {
		b.slots.Release(b.maxSlots)
		return nil
	}
	return fmt.Errorf("usage: close: events still in flight: %w", err)
}

// run is a writer: it takes a request, gathers what else is waiting, and commits.
func (b *batcher) run(queue chan *commitRequest) {
	// events holds a batch's events in one slice for the store, reused from batch
	// to batch so that the writer does not allocate it again every time.
	var events []store.IngestEvent
	for {
		var first *commitRequest
		select {
		case first = <-queue:
		case <-b.stopped.Done():
			return
		}
		b.write(b.gather(queue, first), &events)
	}
}

// gather adds the requests already waiting to first, up to maxBatch events, holding
// the batch open for up to b.wait when it is small.
func (b *batcher) gather(queue chan *commitRequest, first *commitRequest) []*commitRequest {
	batch := []*commitRequest{first}
	n := len(first.events)
	var timeout <-chan time.Time
	if b.wait > 0 {
		timer := time.NewTimer(b.wait)
		defer timer.Stop()
		timeout = timer.C
	}
	for n < b.maxBatch {
		select {
		case r := <-queue:
			batch = append(batch, r)
			n += len(r.events)
			continue
		default:
		}
		if timeout == nil {
			break
		}
		select {
		case r := <-queue:
			batch = append(batch, r)
			n += len(r.events)
		case <-timeout:
			timeout = nil // the wait is over: take only what is already waiting
		}
	}
	return batch
}

// write commits a batch, retrying while the database is unavailable and some caller
// still waits, and answers every request.
func (b *batcher) write(batch []*commitRequest, events *[]store.IngestEvent) {
	delay := unavailableBaseDelay
	for attempt := 1; ; attempt++ {
		batch = b.dropAbandoned(batch)
		if len(batch) == 0 {
			return
		}
		err := b.attempt(batch, events)
		if err == nil {
			return
		}
		if b.stopped.Err() != nil {
			b.answerAll(batch, commitResult{err: fmt.Errorf(
				"%w: gave up on a commit in progress (the events may have been stored; tracking them again is safe): %w", ErrClosed, err)})
			return
		}
		if !errors.Is(err, store.ErrUnavailable) {
			b.answerAll(batch, commitResult{err: err})
			return
		}
		b.logger.Warn("usage: database unavailable, retrying", "attempt", attempt, "events", countEvents(batch), "err", err)
		timer := time.NewTimer(rand.N(delay) + time.Millisecond)
		select {
		case <-timer.C:
		case <-b.stopped.Done():
			timer.Stop()
			b.answerAll(batch, commitResult{err: fmt.Errorf("%w: %w", ErrClosed, err)})
			return
		}
		delay = min(2*delay, unavailableMaxDelay)
	}
}

// attempt runs one transaction for the batch. Its context ends when every caller in
// the batch has stopped waiting, or Close has given up waiting for it, so an
// unreachable database holds nobody forever.
func (b *batcher) attempt(batch []*commitRequest, scratch *[]store.IngestEvent) error {
	ctx, cancel := context.WithCancel(b.stopped)
	defer cancel()
	var waiting atomic.Int64
	waiting.Store(int64(len(batch)))
	for _, r := range batch {
		stop := context.AfterFunc(r.ctx, func() {
			if waiting.Add(-1) == 0 {
				cancel()
			}
		})
		defer stop()
	}
	events := batch[0].events
	if len(batch) > 1 {
		events = (*scratch)[:0]
		for _, r := range batch {
			events = append(events, r.events...)
		}
		*scratch = events
		defer clear(events) // keep no caller's events once answered
	}
	res, err := b.store.Ingest(ctx, &store.IngestParams{Events: events, Now: batch[0].now})
	if err != nil {
		return err
	}
	if b.afterWrite != nil {
		b.afterWrite(res)
	}
	i := 0
	for _, r := range batch {
		n := len(r.events)
		b.answer(r, commitResult{outcomes: res.Outcomes[i : i+n : i+n]})
		i += n
	}
	return nil
}

// dropAbandoned answers the requests whose callers stopped waiting and returns the
// rest; nothing of theirs has been committed yet.
func (b *batcher) dropAbandoned(batch []*commitRequest) []*commitRequest {
	live := batch[:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			b.answer(r, commitResult{err: err})
			continue
		}
		live = append(live, r)
	}
	return live
}

func (b *batcher) answerAll(batch []*commitRequest, res commitResult) {
	for _, r := range batch {
		b.answer(r, res)
	}
}

func (b *batcher) answer(r *commitRequest, res commitResult) {
	r.done <- res
	b.slots.Release(int64(len(r.events)))
}

func countEvents(batch []*commitRequest) int {
	n := 0
	for _, r := range batch {
		n += len(r.events)
	}
	return n
}
