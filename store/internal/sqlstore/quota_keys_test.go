package sqlstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
)

// A store remembers the quota rows that exist by a hash of each ID, so a row whose
// ID shares a hash with a remembered one is taken to exist before it does. Its
// batch finds it missing when it reads its rows and creates it: every event is
// stored and counted as if the row had not been taken for existing, in a batch of
// rows taken so alone and in one beside rows that exist.
func TestAQuotaRowTakenForExistingIsCreatedWhenFoundMissing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		ctx := context.Background()
		st, _ := b.OpenNew(t)
		subject := func(i int) string { return fmt.Sprint("tenant-", i) }
		n := 0
		ingest := func(subjects ...int) {
			t.Helper()
			var events []store.IngestEvent
			for _, i := range subjects {
				n++
				events = append(events, countedEvent(subject(i), n))
			}
			res, err := st.Ingest(ctx, &store.IngestParams{Events: events, Now: now})
			require.NoError(t, err)
			for _, o := range res.Outcomes {
				require.Equal(t, store.StatusInserted, o.Status)
			}
		}
		for i := range 4 {
			sqlStore(t, st).TakeQuotaRowForExisting(subject(i), "m", periodStart)
		}
		ingest(0, 1, 0)
		ingest(10, 11)
		ingest(2, 10, 3, 11, 2)
		ingest(0, 1, 2, 3, 10, 11)
		requireUsed(t, st, map[string]int64{subject(0): 3, subject(1): 2, subject(2): 3, subject(3): 2,
			subject(10): 3, subject(11): 3})
	})
}
