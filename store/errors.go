package store

import "errors"

// ErrNotFound is returned (possibly wrapped) when a requested record does not exist.
var ErrNotFound = errors.New("not found")

// ErrOverflow is returned when a quantity would leave the int64 range it is stored in.
var ErrOverflow = errors.New("quantity leaves the int64 range of its metric's stored integers")

// ErrUnavailable is matched by errors from a database that cannot be reached or is
// shutting down, where nothing of the transaction was applied or its commit is
// unknown. Running the same idempotent work again later is safe.
var ErrUnavailable = errors.New("database unavailable")

// ErrVoided is returned (possibly wrapped) by CorrectEvent for an event that an
// earlier correction voided: a voided event cannot be corrected again.
var ErrVoided = errors.New("event already voided")

// ErrInvalidStatus is returned (wrapped) by SetAnomalyStatus and ListAnomalies for a
// status that is not one of the AnomalyStatus constants.
var ErrInvalidStatus = errors.New("invalid anomaly status")
