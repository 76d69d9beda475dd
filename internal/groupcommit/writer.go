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
	var last commit
	for {
		var first *request
		select {
		case first = <-l.queue:
		case <-w.stopped.Done():
			return
		}
		last = w.write(l, w.gather(l.queue, first, last), &events)
	}
}

// commit is what a writer's last commit held and how long the store took for it;
// zero if it failed.
type commit struct {
	events int
	took   time.Duration
}

// maxHold is Writer.maxHold unless a test sets it.
const maxHold = 20 * time.Millisecond

// hold returns how long a writer whose last commit was last holds a batch open,
// and until how many events it holds it. With w.wait set, it holds a batch smaller
// than maxBatch for w.wait. Otherwise it holds one smaller than last held, for an
// eighth of last's time (and w.maxHold) at most: callers that call again as soon
// as they are answered (a loop of TrackBatch calls, a pool of workers draining a
// queue) join the next batch instead of making a small one, with a commit of its
// own, while a lone caller, which last answered, is not held.
func (w *Writer) hold(last commit) (time.Duration, int) {
	if w.wait > 0 {
		return w.wait, w.maxBatch
	}
	return min(last.took/8, w.maxHold), min(last.events, w.maxBatch)
}

// gather adds the requests already waiting to first, up to maxBatch events, holding
// the batch open for more as hold says.
func (w *Writer) gather(queue chan *request, first *request, last commit) []*request {
	batch := []*request{first}
	n := len(first.events)
	wait, until := w.hold(last)
	var timeout <-chan time.Time
	if wait > 0 && n < until {
		timer := time.NewTimer(wait)
		defer timer.Stop()
		timeout = timer.C
	}
	for n < w.maxBatch {
		if n >= until {
			timeout = nil
		}
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
// still waits, and answers every request; it returns the commit that succeeded.
// Its retry follows the Meter's one policy (package retry), with the batch in
// place of one caller: it goes on while any of its callers waits.
func (w *Writer) write(l *lane, batch []*request, events *[]store.IngestEvent) commit {
	var backoff retry.Backoff
	for attempt := 1; ; attempt++ {
		batch = w.dropAbandoned(l, batch)
		if len(batch) == 0 {
			return commit{}
		}
		done, err := w.attempt(batch, events)
		if err == nil {
			l.unavailable.Store(nil)
			return done
		}
		if w.stopped.Err() != nil {
			w.answerAll(batch, result{err: fmt.Errorf(
				"%w: gave up on a commit in progress (the events may have been stored; tracking them again is safe): %w", ErrClosed, err)})
			return commit{}
		}
		if !retry.Transient(err) {
			w.answerAll(batch, result{err: err})
			return commit{}
		}
		l.unavailable.Store(&err)
		w.logger.Warn("usage: database unavailable, retrying", "attempt", attempt, "events", countEvents(batch), "err", err)
		if !backoff.Wait(w.stopped.Done()) {
			w.answerAll(batch, result{err: fmt.Errorf("%w: %w", ErrClosed, err)})
			return commit{}
		}
	}
}

// attempt runs one transaction for the batch. Its context ends when every caller in
// the batch has stopped waiting, or Close has given up waiting for it, so an
// unreachable database holds nobody forever.
func (w *Writer) attempt(batch []*request, scratch *[]store.IngestEvent) (commit, error) {
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
	done := commit{events: len(events), took: time.Since(start)}
	if w.onCommit != nil {
		w.onCommit(done.events, done.took, err)
	}
	if err != nil {
		return commit{}, err
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
	return done, nil
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
