// Package retry is the Meter's one policy for a database that is unavailable: an
// error matching store.ErrUnavailable (the store's classification of a transient
// failure) is retried with capped exponential backoff and full jitter for as long as
// the caller's context lasts; every other error is permanent and returned at once.
// When the context ends first, the error matches both store.ErrUnavailable and the
// context's error: also when it ends during an attempt, as the database did not
// answer in time (nothing of a call took effect, or a commit is unknown, and
// calling again is safe, which is what ErrUnavailable says).
//
// It is apart from the store's own retry, which runs a transaction again after a
// conflict with another transaction (deadlock, busy lock) inside one method call.
package retry

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/usagekit/usage/store"
)

// The backoff: the first wait is up to BaseDelay, each later one up to twice the
// one before, never more than MaxDelay. A restarting server is back within seconds;
// waits of up to a second reach it soon after without flooding it.
const (
	BaseDelay = 10 * time.Millisecond
	MaxDelay  = time.Second
)

// Transient reports whether err is worth a retry: the database was unavailable.
func Transient(err error) bool { return errors.Is(err, store.ErrUnavailable) }

// Do runs op until it succeeds or fails permanently, retrying transient failures
// while ctx lasts. When ctx ends, during an attempt or after a transient failure,
// the error is GaveUp's. A context that had ended before the call is the caller's
// doing: op is not run and the error is the context's alone.
func Do(ctx context.Context, op func(context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var b Backoff
	var last error // the last transient failure
	for {
		err := op(ctx)
		if err == nil {
			return nil
		}
		if !Transient(err) {
			if ctx.Err() == nil {
				return err
			}
			if last == nil {
				last = NoAnswer(err)
			}
			return GaveUp(ctx.Err(), last)
		}
		last = err
		if !b.Wait(ctx.Done()) {
			return GaveUp(ctx.Err(), last)
		}
	}
}

// GaveUp is the error of a call whose context ended, with cause, while the
// database was unavailable (unavailable matches store.ErrUnavailable): it matches
// both.
func GaveUp(cause, unavailable error) error {
	return fmt.Errorf("%w (gave up: %w)", unavailable, cause)
}

// NoAnswer is the failure of an attempt that ctx ended, err, as an error matching
// store.ErrUnavailable: the database did not answer in time.
func NoAnswer(err error) error {
	return fmt.Errorf("%w: no answer in time: %w", store.ErrUnavailable, err)
}

// Backoff is capped exponential backoff with full jitter, from BaseDelay to
// MaxDelay. The zero value is ready to use.
type Backoff struct {
	delay time.Duration
}

// Wait sleeps for the next delay, a random time up to the current cap, and reports
// true; or returns false as soon as done is closed.
func (b *Backoff) Wait(done <-chan struct{}) bool {
	if b.delay == 0 {
		b.delay = BaseDelay
	}
	// Full jitter: callers that failed together spread out, so the database is not
	// hit by all of them at once when it comes back.
	timer := time.NewTimer(rand.N(b.delay) + time.Millisecond)
	defer timer.Stop()
	b.delay = min(2*b.delay, MaxDelay)
	select {
	case <-timer.C:
		return true
	case <-done:
		return false
	}
}
