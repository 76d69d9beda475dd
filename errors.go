package usage

import (
	"errors"
	"fmt"
	"time"

	"github.com/usagekit/usage/internal/groupcommit"
	"github.com/usagekit/usage/store"
)

// Sentinel errors. Match them with errors.Is; the typed errors below carry details.
var (
	// ErrInvalidEvent is matched by every *ValidationError: the input was refused
	// before anything was stored.
	ErrInvalidEvent = errors.New("usage: invalid input")
	// ErrQuotaExceeded is matched by *QuotaExceededError: the event would take a
	// quota without overage past its limit, and nothing was recorded.
	ErrQuotaExceeded = errors.New("usage: quota exceeded")
	// ErrEventConflict is matched by *ConflictError: an event with the same subject
	// and ID but another payload is already stored.
	ErrEventConflict = errors.New("usage: event ID already used with another payload")
	// ErrUnknownPlan is returned when a subject is assigned, or resolves to, a plan
	// the Config does not define.
	ErrUnknownPlan = errors.New("usage: unknown plan")
	// ErrNoPlan is returned when a subject has no plan assignment and the Config has
	// no DefaultPlan.
	ErrNoPlan = errors.New("usage: subject has no plan")
	// ErrClosed is returned by calls on a Meter after Close.
	ErrClosed = groupcommit.ErrClosed
	// ErrOverloaded is returned when Config.MaxInFlight events are already waiting
	// to commit and the caller's context ended before there was room. Nothing of the
	// call was stored.
	ErrOverloaded = groupcommit.ErrOverloaded
	// ErrUnavailable is matched by the error of a call that could not reach the
	// database (it is store.ErrUnavailable): the server is down, restarting or
	// refusing connections, or a SQLite file is locked past its busy timeout. Every
	// call retries such failures with capped, jittered backoff while its context
	// lasts (see WhenUnavailable); when the context ends first, the error matches
	// both ErrUnavailable and the context's error. So does the error of a call
	// whose context ended while the database had not answered yet (a Track waiting
	// for its commit, a slow read), and a commit Close gave up on matches it with
	// ErrClosed. Nothing of the call, or an unknown part of a commit, took effect:
	// calling again (tracking again with the same IDs) is safe. A context that had
	// ended before the call gets the context's error alone.
	ErrUnavailable = store.ErrUnavailable
)

// ValidationError says which field of an input was refused and why.
type ValidationError struct {
	// Field names the field, e.g. "value" or "properties[\"route\"]"; for a batch it
	// is prefixed with the event's index, as in "events[3].value".
	Field string
	// Reason says what is wrong and, where it helps, how to fix it.
	Reason string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("usage: invalid input: %s: %s", e.Field, e.Reason)
}

// Is makes errors.Is(err, ErrInvalidEvent) true, and so errors.Is(err, ErrInvalidInput).
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidEvent }

func invalid(field, format string, args ...any) *ValidationError {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// QuotaExceededError is returned when an event would take a quota without overage
// past its limit. Nothing was recorded.
type QuotaExceededError struct {
	Subject string
	Metric  string
	// Limit is the quota's limit; Used is its usage before the refused event, and
	// Requested what the event asked for.
	Limit, Used, Requested Quantity
	// PeriodEnd is when the quota starts again from zero.
	PeriodEnd time.Time
}

func (e *QuotaExceededError) Error() string {
	return fmt.Sprintf("usage: quota exceeded: %s %s: used %s of %s, requested %s, resets at %s",
		e.Subject, e.Metric, e.Used, e.Limit, e.Requested, e.PeriodEnd.Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrQuotaExceeded) true.
func (e *QuotaExceededError) Is(target error) bool { return target == ErrQuotaExceeded }

// ConflictError is returned when an event reuses a stored event's subject and ID with
// another payload. The stored event is unchanged.
type ConflictError struct {
	Subject string
	ID      string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("usage: event %q of subject %q is already stored with another payload", e.ID, e.Subject)
}

// Is makes errors.Is(err, ErrEventConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrEventConflict }

// ErrAnomalyNotFound is returned (wrapped, with the ID) by Meter.SetAnomalyStatus for
// an anomaly record that does not exist.
var ErrAnomalyNotFound = errors.New("usage: anomaly not found")

// ErrAlertNotFound is returned (wrapped, with the ID) by Meter.AcknowledgeAlert for
// an unknown alert or one of another subject.
var ErrAlertNotFound = errors.New("usage: alert not found")

// ErrEventNotFound is returned (wrapped) by Meter.Correct for an event that is not
// stored.
var ErrEventNotFound = errors.New("usage: event not found")

// ErrEventVoided is returned (wrapped) by Meter.Correct for an event that an earlier
// correction voided: it cannot be corrected again.
var ErrEventVoided = errors.New("usage: event already voided")

// ErrInsufficientHistory is matched by *InsufficientHistoryError: Meter.Forecast was
// asked about usage too recent to forecast.
var ErrInsufficientHistory = errors.New("usage: not enough usage history to forecast")

// InsufficientHistoryError is returned by Meter.Forecast when a subject's usage of a
// metric is too recent to forecast. It matches ErrInsufficientHistory.
type InsufficientHistoryError struct {
	Subject string
	Metric  string
	Step    ForecastStep
	// Have is the number of whole steps since the first usage in the history
	// window; Need is the fewest a forecast is made from.
	Have, Need int
}

func (e *InsufficientHistoryError) Error() string {
	return fmt.Sprintf("usage: not enough history to forecast %q %s: %d %ss of usage, need at least %d",
		e.Subject, e.Metric, e.Have, e.Step, e.Need)
}

// Is makes errors.Is(err, ErrInsufficientHistory) true.
func (e *InsufficientHistoryError) Is(target error) bool { return target == ErrInsufficientHistory }

// Errors of the range of quantities and of input to calls other than Track.
var (
	// ErrOverflow is returned (wrapped) when an event, a correction or a grant would
	// take a quota's usage or total for one subject, metric and period past the
	// range it is stored in: about 9.2 × 10^12 units for a metric with six decimal
	// places, about 9.2 × 10^18 for a WholeUnits metric (see MaxValue). Nothing was
	// recorded. It is store.ErrOverflow.
	ErrOverflow = store.ErrOverflow
	// ErrInvalidInput is ErrInvalidEvent under the name that reads for calls that
	// take no event (filters, notes, page sizes): every *ValidationError matches both.
	ErrInvalidInput = ErrInvalidEvent
)
