package sqlstore_test

import (
	"fmt"
	"testing"

	"github.com/usagekit/usage/internal/testdb"
)

// A store remembers the quota rows that exist by a hash of each ID, so a row whose
// ID shares a hash with a remembered one is taken to exist before it does. Its
// batch finds it missing when it reads its rows and creates it: every event is
// stored and counted as if the row had not been taken for existing, in a batch of
// rows taken so alone and in one beside rows that exist.
func TestAQuotaRowTakenForExistingIsCreatedWhenFoundMissing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		st, _ := b.OpenNew(t)
		subject := func(i int) string { return fmt.Sprint("tenant-", i) }
		for i := range 4 {
			sqlStore(t, st).TakeQuotaRowForExisting(subject(i), "m", periodStart)
		}
		n := 0
		ingestCounted(t, st, &n, subject(0), subject(1), subject(0))
		ingestCounted(t, st, &n, subject(10), subject(11))
		ingestCounted(t, st, &n, subject(2), subject(10), subject(3), subject(11), subject(2))
		ingestCounted(t, st, &n, subject(0), subject(1), subject(2), subject(3), subject(10), subject(11))
		requireUsed(t, st, map[string]int64{subject(0): 3, subject(1): 2, subject(2): 3, subject(3): 2,
			subject(10): 3, subject(11): 3})
	})
}
