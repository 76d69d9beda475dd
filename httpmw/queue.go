package httpmw

import (
	"context"
	"errors"
	"log/slog"
	"sync"

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
type queue struct {
	meter    Meter
	stats    *counters
	logger   *slog.Logger
	full     QueueFull
	maxBatch int

	slots  chan struct{}
	events chan usage.Event

	mu     sync.RWMutex
	closed bool
	// active counts requests holding a slot whose event is not queued yet.
	active sync.WaitGroup

	workers sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelFunc
}

func newQueue(m Meter, stats *counters, o *options) *queue {
	q := &queue{meter: m, stats: stats, logger: o.logger, full: o.queueFull, maxBatch: o.maxBatch,
		slots: make(chan struct{}, o.queueSize), events: make(chan usage.Event, o.queueSize)}
	q.ctx, q.cancel = context.WithCancel(context.Background())
	for range o.workers {
		q.workers.Go(q.drain)
	}
	return q
}

// reserve takes a slot for a request's event, waiting for one until ctx ends when
// the queue is full and the policy is Block.
func (q *queue) reserve(ctx context.Context) error {
	q.mu.RLock()
	if q.closed {
		q.mu.RUnlock()
		return errClosed
	}
	q.active.Add(1)
	q.mu.RUnlock()
	select {
	case q.slots <- struct{}{}:
		return nil
	default:
	}
	q.stats.queueFull.Add(1)
	if q.full == Block {
		select {
		case q.slots <- struct{}{}:
			return nil
		case <-ctx.Done():
		}
	}
	q.active.Done()
	return errQueueFull
}

// put queues the event of a reserved slot; it never waits.
func (q *queue) put(ev usage.Event) {
	q.events <- ev
	q.active.Done()
}

// release gives back a reserved slot whose request has no event to store.
func (q *queue) release() {
	<-q.slots
	q.active.Done()
}

// drain hands queued events to the Meter in batches of what is waiting, until the
// queue is closed and empty.
func (q *queue) drain() {
	batch := make([]usage.Event, 0, q.maxBatch)
	for ev := range q.events {
		batch = append(batch, ev)
	more:
		for len(batch) < q.maxBatch {
			select {
			case ev, ok := <-q.events:
				if !ok {
					break more
				}
				batch = append(batch, ev)
			default:
				break more
			}
		}
		q.store(batch)
		for range batch {
			<-q.slots
		}
		clear(batch)
		batch = batch[:0]
	}
}

// store tracks a batch, counting each event's outcome. A batch refused as invalid
// (one bad property refuses them all) is tracked again event by event.
func (q *queue) store(batch []usage.Event) {
	res, err := q.meter.TrackBatch(q.ctx, batch)
	if errors.Is(err, usage.ErrInvalidEvent) && len(batch) > 1 {
		for _, ev := range batch {
			_, err := q.meter.Track(q.ctx, ev)
			q.count(ev, err, false)
		}
		return
	}
	if err != nil {
		for _, ev := range batch {
			q.count(ev, err, false)
		}
		return
	}
	for i, r := range res {
		q.count(batch[i], r.Err, r.Replayed)
	}
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
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	q.mu.Unlock()
	done := make(chan struct{})
	go func() {
		q.active.Wait()
		close(q.events)
		q.workers.Wait()
		close(done)
	}()
	select {
	case <-done:
		q.cancel()
		return nil
	case <-ctx.Done():
		q.cancel()
		return ctx.Err()
	}
}
