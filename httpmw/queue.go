package httpmw

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usagekit/usage"
)

var (
	errQueueFull = errors.New("httpmw: queue of events to store is full")
	errClosed    = errors.New("httpmw: middleware closed")
)

// queue holds the events recorded off the response path until workers hand them to
// the Meter. A request takes a slot before its handler runs and gives it back when
// its event is stored or not needed, so the events waiting and being stored never
// exceed the queue's size.
//
// Requests append to a slice under a mutex, and only the one that finds it empty
// wakes a worker, so a busy service pays neither a channel operation nor a
// goroutine switch per request; a worker takes everything waiting at once and
// stores it in batches of up to maxBatch events.
type queue struct {
	meter    Meter
	stats    *counters
	logger   *slog.Logger
	full     QueueFull
	size     int
	maxBatch int
	// batchWait is how long a worker holds fewer than maxBatch events for more.
	batchWait time.Duration

	ids *idSource

	// slots counts the slots in use and the reservations, and marks the queue
	// closed, in one word (see slots.go): a request takes and gives back its slot
	// without a lock.
	slots slots
	// waiting counts the requests waiting for room; a worker that gives slots
	// back wakes them only if there are any.
	waiting atomic.Int32

	mu      sync.Mutex
	pending []record
	// room is closed when slots are given back, to wake requests waiting for one.
	room chan struct{}
	// idle is closed once the queue is closed and no reservation is active.
	idle chan struct{}

	wake chan struct{}
	// batched is signalled when maxBatch events are waiting or the queue is
	// full, to end a worker's batch wait early.
	batched chan struct{}
	done    chan struct{}
	workers sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelFunc
}

// record is a served request waiting to be stored. Its event's properties and,
// when the client sent none, its ID are made by the worker that stores it, so the
// response path does not pay for them.
type record struct {
	ev            usage.Event
	route, method string
	status        int
	latency       time.Duration
	bytes         int64
	props         map[string]string
}

func newQueue(m Meter, stats *counters, ids *idSource, o *options) *queue {
	q := &queue{meter: m, stats: stats, ids: ids, logger: o.logger, full: o.queueFull, size: o.queueSize,
		maxBatch: o.maxBatch, batchWait: o.batchWait, room: make(chan struct{}), idle: make(chan struct{}),
		wake: make(chan struct{}, 1), batched: make(chan struct{}, 1), done: make(chan struct{})}
	q.ctx, q.cancel = context.WithCancel(context.Background())
	for range o.workers {
		q.workers.Go(q.drain)
	}
	return q
}

// reserve takes a slot for a request's event, waiting for one until ctx ends when
// the queue is full and the policy is Block.
func (q *queue) reserve(ctx context.Context) error {
	switch q.slots.take(q.size) {
	case taken:
		return nil
	case refusedClosed:
		return errClosed
	}
	q.stats.queueFull.Add(1)
	q.batchReady()
	if q.full == Refuse {
		return errQueueFull
	}
	q.waiting.Add(1)
	defer q.waiting.Add(-1)
	for {
		// The room to wait for is read before the slots are tried again, and a
		// worker that gives slots back after that try sees this request waiting.
		q.mu.Lock()
		room := q.room
		q.mu.Unlock()
		switch q.slots.take(q.size) {
		case taken:
			return nil
		case refusedClosed:
			return errClosed
		}
		select {
		case <-room:
		case <-ctx.Done():
			return errQueueFull
		}
	}
}

// put queues the record of a reserved slot; it never waits.
func (q *queue) put(rec record) {
	q.mu.Lock()
	q.pending = append(q.pending, rec)
	first, full := len(q.pending) == 1, len(q.pending) == q.maxBatch
	q.mu.Unlock()
	q.deactivate()
	if full {
		q.batchReady()
	}
	// Only the record that finds the queue empty wakes a worker: the records
	// queued after it are taken with it, by a worker that drains until it finds
	// the queue empty.
	if first {
		select {
		case q.wake <- struct{}{}:
		default: // a wake-up is pending already
		}
	}
}

// release gives back a reserved slot whose request has no event to store.
func (q *queue) release() {
	q.deactivate()
	q.free(1)
}

// deactivate ends a reservation; the last to end once the queue is closed says so.
func (q *queue) deactivate() {
	if q.slots.endReservation() {
		close(q.idle)
	}
}

// free gives back n slots and wakes the requests waiting for one.
func (q *queue) free(n int) {
	q.slots.give(n)
	if q.waiting.Load() > 0 {
		q.mu.Lock()
		close(q.room)
		q.room = make(chan struct{})
		q.mu.Unlock()
	}
}

// drain hands queued events to the Meter, as many as are waiting (up to maxBatch
// per call), until the queue is closed and empty.
func (q *queue) drain() {
	var recs []record
	batch := make([]usage.Event, 0, q.maxBatch)
	events := eventBuilder{ids: q.ids}
	var hold *time.Timer
	if q.batchWait > 0 {
		hold = time.NewTimer(q.batchWait)
		hold.Stop()
	}
	for {
		select {
		case <-q.wake:
			if hold != nil {
				q.waitForBatch(hold)
			}
		case <-q.done:
		}
		// Once Close has asked, no request queues anything more: a worker that
		// takes everything until the queue is empty is done.
		stop := q.stopping()
		for again := false; ; again = true {
			// The worker takes every queued record and leaves its own slice,
			// emptied, in their place: no record is copied under the lock.
			q.mu.Lock()
			if again && hold != nil && !stop && len(q.pending) < q.maxBatch {
				// Less than a batch came while this worker stored: the request that
				// found the queue empty sent a wake-up, and the worker that takes it
				// waits for more, as this one did.
				q.mu.Unlock()
				break
			}
			recs, q.pending = q.pending, recs[:0]
			q.mu.Unlock()
			if len(recs) == 0 {
				break
			}
			for chunk := recs; len(chunk) > 0; {
				n := min(len(chunk), q.maxBatch)
				batch = batch[:n]
				events.build(chunk[:n], batch)
				clear(chunk[:n])
				// The batch is not cleared: the next build overwrites it, and what it
				// holds till then is at most maxBatch events.
				events.reuse(q.store(batch))
				q.free(n)
				chunk = chunk[n:]
			}
		}
		if stop {
			return
		}
	}
}

// stopping reports whether Close has asked the workers to store what is left.
func (q *queue) stopping() bool {
	select {
	case <-q.done:
		return true
	default:
		return false
	}
}

// batchReady ends a worker's batch wait: a full batch is waiting, or a request
// is waiting for room.
func (q *queue) batchReady() {
	select {
	case q.batched <- struct{}{}:
	default: // signalled already
	}
}

// waitForBatch holds the events waiting for more, until the batch wait ends,
// maxBatch events are waiting, the queue is full or it is closed. A signal on
// batched may be left from a batch that was ready before an earlier wait began, so
// each one is checked against the queue before it ends the wait.
func (q *queue) waitForBatch(hold *time.Timer) {
	if q.ready() {
		return
	}
	hold.Reset(q.batchWait)
	defer hold.Stop()
	for {
		select {
		case <-hold.C:
			return
		case <-q.batched:
			if q.ready() {
				return
			}
		case <-q.done:
			return
		}
	}
}

// ready reports whether a worker's batch wait should end: maxBatch events are
// waiting, or every slot is taken.
func (q *queue) ready() bool {
	if q.slots.inUse() >= q.size {
		return true
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending) >= q.maxBatch
}

// store tracks a batch, counting each event's outcome. A batch refused as invalid
// (one bad property refuses them all) is tracked again event by event. It reports
// whether the Meter is done with the batch: false if a call may have left events
// waiting for a commit (see inFlight).
func (q *queue) store(batch []usage.Event) (done bool) {
	res, err := q.meter.TrackBatch(q.ctx, batch)
	if errors.Is(err, usage.ErrInvalidEvent) {
		// One bad event refuses its whole batch: each is tracked alone (a batch of
		// one was already), and one refused again without its handler's properties.
		done = true
		for _, ev := range batch {
			res, evErr := usage.TrackResult{}, err
			if len(batch) > 1 {
				res, evErr = q.meter.Track(q.ctx, ev)
			}
			if errors.Is(evErr, usage.ErrInvalidEvent) {
				res, evErr = q.trackWithoutHandlerProperties(ev, evErr)
			}
			q.count(ev, evErr, res.Replayed)
			done = done && !inFlight(evErr)
		}
		return done
	}
	if err != nil {
		for _, ev := range batch {
			q.count(ev, err, false)
		}
		return !inFlight(err)
	}
	done = true
	for i, r := range res {
		q.count(batch[i], r.Err, r.Replayed)
		done = done && !inFlight(r.Err)
	}
	return done
}

// trackWithoutHandlerProperties tracks an event the Meter refused as invalid
// (with err) again, with only the properties the middleware records: a property
// its handler set is what it can have wrong, and the request was served, so it is
// charged without them. An event with no such property is refused as it was.
func (q *queue) trackWithoutHandlerProperties(ev usage.Event, err error) (usage.TrackResult, error) {
	std := standardProperties(ev.Properties)
	if len(std) == len(ev.Properties) {
		return usage.TrackResult{}, err
	}
	q.logger.Warn("httpmw: request event refused as invalid; stored without its handler's properties",
		"subject", ev.Subject, "id", ev.ID, "err", err)
	ev.Properties = std
	res, err := q.meter.Track(q.ctx, ev)
	if err == nil {
		q.stats.propertiesDropped.Add(1)
	}
	return res, err
}

// inFlight reports whether err leaves its event's commit unknown: the Meter
// stopped waiting for it, and the event may still be on its way to the database.
func inFlight(err error) bool {
	return errors.Is(err, usage.ErrUnavailable) || errors.Is(err, context.Canceled) ||
		errors.Is(err, context.DeadlineExceeded)
}

func (q *queue) count(ev usage.Event, err error, replayed bool) {
	switch {
	case err == nil && replayed:
		q.stats.duplicates.Add(1)
	case err == nil:
		q.stats.charged.Add(1)
	case errors.Is(err, usage.ErrEventConflict):
		// A retried request whose status or latency differs from the first's.
		q.stats.duplicates.Add(1)
	case errors.Is(err, usage.ErrInvalidEvent):
		q.stats.invalid.Add(1)
		q.logger.Warn("httpmw: request event refused as invalid", "subject", ev.Subject, "id", ev.ID, "err", err)
	case errors.Is(err, usage.ErrQuotaExceeded):
		q.stats.refused.Add(1)
		q.logger.Warn("httpmw: served request refused by quota when recorded", "subject", ev.Subject, "id", ev.ID, "err", err)
	default:
		q.stats.failed.Add(1)
		q.logger.Error("httpmw: request event not stored", "subject", ev.Subject, "id", ev.ID, "err", err)
	}
}

// close stops taking reservations, waits for the requests holding one to queue
// their events, and for the workers to store every queued event. When ctx ends
// first it stops the workers' Meter calls and returns ctx's error.
func (q *queue) close(ctx context.Context) error {
	first, idle := q.slots.close()
	if !first {
		return nil
	}
	if idle {
		close(q.idle)
	}
	stopped := make(chan struct{})
	go func() {
		<-q.idle
		close(q.done)
		q.workers.Wait()
		close(stopped)
	}()
	select {
	case <-stopped:
		q.cancel()
		return nil
	case <-ctx.Done():
		q.cancel()
		return ctx.Err()
	}
}
