package store

import "time"

// Lease is the row that lets one instance at a time run a maintenance job: the
// instance holding it until it expires, and the last schedule slot the job
// completed.
type Lease struct {
	// Name is the job's name.
	Name string
	// Holder is the instance holding the lease, empty when none does.
	Holder string
	// ExpiresAt is when the lease lapses unless its holder renews it.
	ExpiresAt time.Time
	// Completed is the start of the last schedule slot in which the job ran to the
	// end, the zero time before its first run.
	Completed time.Time
}

// AcquireLeaseParams are the parameters of Store.AcquireLease.
type AcquireLeaseParams struct {
	// Name is the job's name.
	Name string
	// Holder names the instance asking: unique per running instance.
	Holder string
	// Now is the holder's current time; the lease is free when it has expired by Now.
	Now time.Time
	// TTL is how long the lease lasts from Now.
	TTL time.Duration
}

// AcquireLeaseResult is the result of Store.AcquireLease.
type AcquireLeaseResult struct {
	// Acquired reports whether Holder holds the lease now, until Lease.ExpiresAt.
	Acquired bool
	// Lease is the lease as stored after the call: Holder's when Acquired, else
	// the other holder's.
	Lease Lease
}

// ReleaseLeaseParams are the parameters of Store.ReleaseLease.
type ReleaseLeaseParams struct {
	// Name is the job's name.
	Name string
	// Holder is the instance releasing it.
	Holder string
	// Completed, when not zero, is the schedule slot the job has just completed; a
	// slot earlier than the one stored is ignored.
	Completed time.Time
}

// ReleaseLeaseResult is the result of Store.ReleaseLease.
type ReleaseLeaseResult struct {
	// Released is false when Holder no longer held the lease (it had expired and
	// another instance took it): nothing was changed.
	Released bool
}
