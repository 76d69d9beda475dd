package sqlstore_test

import (
	"context"
	"fmt"
	"math/bits"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
)

// SQLite's writer keeps the statements it prepared from one batch to the next, in
// a few forms per statement whatever the batches' sizes: rows go in chunks whose
// sizes are powers of two. Batches of every size from 1 to 140 come out exact.
func TestSQLiteKeepsAFewFormsOfEachStatementAcrossBatches(t *testing.T) {
	st, _ := testdb.SQLite().OpenNew(t)
	used := map[string]int64{}
	n := 0
	for size := 1; size <= 140; size++ {
		var events []store.IngestEvent
		for i := range size {
			n++
			subject := fmt.Sprint("tenant-", i%150)
			events = append(events, countedEvent(subject, n))
			used[subject]++
		}
		res, err := st.Ingest(context.Background(), &store.IngestParams{Events: events, Now: now})
		require.NoError(t, err)
		for _, o := range res.Outcomes {
			require.Equal(t, store.StatusInserted, o.Status)
		}
	}
	requireUsed(t, st, used)
	forms := sqlStore(t, st).PreparedSizes()
	require.NotEmpty(t, forms, "statements are kept across batches")
	for head, sizes := range forms {
		require.LessOrEqual(t, len(sizes), 8, "forms of %s", head)
		for _, rows := range sizes {
			require.Equal(t, 1, bits.OnesCount(uint(rows)), "%d rows of %s: not a power of two", rows, head)
			require.LessOrEqual(t, rows, 128, head)
		}
	}
}
