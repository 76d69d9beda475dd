package usage

import (
	"context"
	"errors"
	"time"
)

// Notification is one attempt to tell a Notifier about an alert.
type Notification struct {
	// ID is the delivery's ID, the same in every attempt: a receiver that may get a
	// notification twice (delivery is at least once) deduplicates by it.
	ID string
	// Type names what happened, e.g. "quota.threshold_crossed",
	// "quota.event_refused", "quota.forecast_exceeded" or "usage.fraud_suspected".
	Type string
	// Attempt counts the attempts at this delivery, from 1.
	Attempt int
	Alert   Alert
}

// Notifier delivers alerts to a host's systems: a chat, an e-mail service, a
// webhook. The Meter calls it from a bounded pool of goroutines, concurrently, and
// at least once per alert: again after a failure, after a crash, and, rarely, after
// a success whose outcome could not be recorded. Notify must return when ctx ends.
// An error means the notification should be tried again later (after a backoff, or
// the time a RetryAfter error gives); a Permanent error means never again.
type Notifier interface {
	Notify(ctx context.Context, n Notification) error
}

// NotifierFunc is a function that is a Notifier.
type NotifierFunc func(ctx context.Context, n Notification) error

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, n Notification) error { return f(ctx, n) }

// notifyError is a Notifier's error with what the dispatcher should do next.
type notifyError struct {
	err        error
	permanent  bool
	retryAfter time.Duration
}

func (e *notifyError) Error() string { return e.err.Error() }
func (e *notifyError) Unwrap() error { return e.err }

// Permanent marks a Notifier's error as final: the notification is not tried
// again, and the alert's delivery is recorded as failed with the error.
func Permanent(err error) error { return &notifyError{err: err, permanent: true} }

// RetryAfter marks a Notifier's error with the least wait before the next
// attempt, e.g. from an HTTP Retry-After header.
func RetryAfter(err error, wait time.Duration) error {
	return &notifyError{err: err, retryAfter: wait}
}

// notifyPolicy reads what a Notifier's error asks for.
func notifyPolicy(err error) (permanent bool, retryAfter time.Duration) {
	var ne *notifyError
	if errors.As(err, &ne) {
		return ne.permanent, ne.retryAfter
	}
	return false, 0
}
