package main

import (
	"cmp"
	"fmt"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/store"
)

// bounds are what a run's Meter and store hold per subject at most: the subjects
// whose plans the Meter keeps (Config.AssignmentCacheSize), the quota rows it
// keeps (Config.QuotaCacheSize) and the quota rows the store remembers
// (store.WithRememberedRows). Zero is the default.
type bounds struct{ assignments, quotas, rows int }

// or returns b with each bound left at zero set to n.
func (b bounds) or(n int) bounds {
	return bounds{cmp.Or(b.assignments, n), cmp.Or(b.quotas, n), cmp.Or(b.rows, n)}
}

// String gives the bounds in effect, the defaults in place of zero, as RESULT
// fields.
func (b bounds) String() string {
	return fmt.Sprintf("assignment_cache=%d quota_cache=%d remembered_rows=%d",
		cmp.Or(b.assignments, usage.DefaultAssignmentCacheSize), cmp.Or(b.quotas, usage.DefaultQuotaCacheSize),
		cmp.Or(b.rows, store.DefaultRememberedRows))
}
