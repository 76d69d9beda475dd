package store

import "time"

// DeleteExpiredParams are the parameters of Store.DeleteExpired.
type DeleteExpiredParams struct {
	// EventsBefore deletes the events of billing periods that ended by it.
	EventsBefore time.Time
	// RollupsBefore deletes the hourly rollups of billing periods that ended by it.
	RollupsBefore time.Time
	// Invoiced limits deletion to periods whose bill is closed (see CloseBill).
	// Without it, a period that has ended is enough.
	Invoiced bool
	// Limit is the most rows one call deletes. Required: it bounds how long the
	// call's transaction holds its locks.
	Limit int
	// Now is recorded as when a period's events or rollups were deleted.
	Now time.Time
}

// DeleteExpiredResult is the result of Store.DeleteExpired.
type DeleteExpiredResult struct {
	// Events and Rollups are the rows deleted.
	Events, Rollups int
	// Done reports that nothing is left to delete at these cutoffs.
	Done bool
}
