package sqlstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
)

// A store opened with a bound on the rows it remembers (store.WithRememberedRows)
// holds no more than that (four times as many keys of quota rows, as many quota
// rows as written) however many subjects it ingests for, and a subject
// dropped and met again is decided against its rows as stored: every usage and
// every kept dimension value comes out exact.
func TestAStoreRemembersAtMostItsBoundOfRows(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		const bound, subjects, perBatch = 8, 200, 10
		st := b.OpenAt(t, b.NewDatabase(t), store.WithRememberedRows(bound))
		subject := func(i int) string { return fmt.Sprint("tenant-", i) }
		n := 0
		for range 2 {
			for lo := 0; lo < subjects; lo += perBatch {
				var events []store.IngestEvent
				for i := lo; i < lo+perBatch; i++ {
					n++
					ie := countedEvent(subject(i), n)
					route := fmt.Sprint("/route-", i)
					ie.Event.Properties = map[string]string{"route": route}
					ie.Dimensions = store.Dimensions{Names: []string{"route"}, Values: []string{route}, Limit: 10}
					events = append(events, ie)
				}
				res, err := st.Ingest(context.Background(), &store.IngestParams{Events: events, Now: now})
				require.NoError(t, err)
				for _, o := range res.Outcomes {
					require.Equal(t, store.StatusInserted, o.Status)
				}
				quotaKeys, keptValues, quotaRows := sqlStore(t, st).Remembered()
				require.LessOrEqual(t, quotaKeys, 4*bound, "keys of quota rows")
				require.LessOrEqual(t, keptValues, bound, "kept dimension values")
				require.LessOrEqual(t, quotaRows, bound, "quota rows as last written")
			}
		}
		quotaKeys, keptValues, quotaRows := sqlStore(t, st).Remembered()
		require.Equal(t, []int{4 * bound, bound, bound}, []int{quotaKeys, keptValues, quotaRows}, "each kind filled to its bound")
		used := map[string]int64{}
		for i := range subjects {
			used[subject(i)] = 2
		}
		requireUsed(t, st, used)
		for _, i := range []int{0, subjects - 1} {
			res, err := st.QueryUsage(context.Background(), &store.UsageQueryParams{Metric: "m", Subject: subject(i),
				Dimensions: []string{"route"}, GroupBy: []string{"route"},
				Windows: []store.UsageWindow{{Start: periodStart, End: periodEnd}}})
			require.NoError(t, err)
			require.Len(t, res.Rows, 1, subject(i))
			require.Equal(t, fmt.Sprint("/route-", i), res.Rows[0].Group["route"], "kept, not folded into other")
			require.Equal(t, int64(2), res.Rows[0].Count)
		}
	})
}

// A store refuses to open with no rows to remember.
func TestAStoreOpenedToRememberNoRowsFails(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		st, err := b.Open(context.Background(), b.NewDatabase(t), store.WithRememberedRows(0))
		require.ErrorContains(t, err, "WithRememberedRows(0)")
		require.Nil(t, st)
	})
}
