package groupcommit

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/usagekit/usage/internal/retry"
	"github.com/usagekit/usage/store"
)

// run is a writer: it takes a request, gathers what else is waiting, and commits.
func (w *Writer) run(l *lane) {
	// events holds a batch's events in one slice for the store, reused from batch
	// to batch so that the writer does not allocate it again every time.
	var events []store.IngestEvent
	for {
		var first *request
		select {
		case first = <-l.queue:
		case <-w.stopped.Done():
			return
		}
		w.write(l, w.gather(l.queue, first), &events)
	}
}

// gather adds the requests already waiting to first, up to maxBatch events, holding
// the batch open for up to w.wait when it is small.
func (w *Writer) gather(queue chan *request, first *request) []*request {
	batch := []*request{first}
	n := len(first.events)
	var timeout <-chan time.Time
	if w.wait > 0 {
		timer := time.NewTimer(w.wait)
		defer timer.Stop()
		timeout = timer.C
	}
	for n < w.maxBatch {
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
// still waits, and answers every request. Its retry follows the Meter's one policy
// (package retry), with the batch in place of one caller: it goes on while any of
// its callers waits.
func (w *Writer) write(l *lane, batch []*request, events *[]store.IngestEvent) {
	var backoff retry.Backoff
	for attempt := 1; ; attempt++ {
		batch = w.dropAbandoned(l, batch)
		if len(batch) == 0 {
			return
		}
		err := w.attempt(batch, events)
		if err == nil {
			l.unavailable.Store(nil)
			return
		}
		if w.stopped.Err() != nil {
			w.answerAll(batch, result{err: fmt.Errorf(
				"%w: gave up on a commit in progress (the events may have been stored; tracking them again is safe): %w", ErrClosed, err)})
			return
		}
		if !retry.Transient(err) {
			w.answerAll(batch, result{err: err})
			return
		}
		l.unavailable.Store(&err)
		w.logger.Warn("usage: database unavailable, retrying", "attempt", attempt, "events", countEvents(batch), "err", err)
		if !backoff.Wait(w.stopped.Done()) {
			w.answerAll(batch, result{err: fmt.Errorf("%w: %w", ErrClosed, err)})
			return
		}
	}
}

// attempt runs one transaction for the batch. Its context ends when every caller in
// the batch has stopped waiting, or Close has given up waiting for it, so an
// unreachable database holds nobody forever.
func (w *Writer) attempt(batch []*request, scratch *[]store.IngestEvent) error {
	ctx, cancel := context.WithCancel(w.stopped)
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
	start := time.Now()
	res, err := w.store.Ingest(ctx, &store.IngestParams{Events: events, Now: batch[0].now})
	if w.onCommit != nil {
		w.onCommit(len(events), time.Since(start), err)
	}
	if err != nil {
		return err
	}
	if w.afterWrite != nil {
		w.afterWrite(res)
	}
	i := 0
	for _, r := range batch {
		n := len(r.events)
		w.answer(r, result{outcomes: res.Outcomes[i : i+n : i+n]})
		i += n
	}
	return nil
}

// dropAbandoned answers the requests whose callers stopped waiting and returns the
// rest; nothing of theirs has been committed yet.
func (w *Writer) dropAbandoned(l *lane, batch []*request) []*request {
	live := batch[:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			w.answer(r, result{err: l.gaveUp(err, "no commit yet")})
			continue
		}
		live = append(live, r)
	}
	return live
}

func (w *Writer) answerAll(batch []*request, res result) {
	for _, r := range batch {
		w.answer(r, res)
	}
}

func (w *Writer) answer(r *request, res result) {
	r.done <- res
	w.slots.Release(int64(len(r.events)))
}

func countEvents(batch []*request) int {
	n := 0
	for _, r := range batch {
		n += len(r.events)
	}
	return n
}
