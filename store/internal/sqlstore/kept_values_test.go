package sqlstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
)

// Ingest reads which of a batch's dimension values are kept only for the values
// it has not read as kept before: a kept value stays kept. Values past the bound
// are read again, and still fold into "other".
func TestIngestReadsOnlyDimensionValuesItDoesNotKnowAsKept(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) { ingestReadsOnlyUnknownValues(t, b) })
}

func ingestReadsOnlyUnknownValues(t *testing.T, b testdb.Backend) {
	ctx := context.Background()
	st, _ := b.OpenNew(t)
	db := bunDB(t, st)
	n := 0
	batch := func(routes ...string) {
		var events []store.IngestEvent
		for _, route := range routes {
			n++
			ie := countedEvent("acme", n)
			ie.Event.Properties = map[string]string{"route": route}
			ie.Dimensions = store.Dimensions{Names: []string{"route"}, Values: []string{route}, Limit: 2}
			events = append(events, ie)
		}
		_, err := st.Ingest(ctx, &store.IngestParams{Events: events, Now: now})
		require.NoError(t, err)
	}
	queries := &queryLog{}
	//lint:ignore SA1019 WithQueryHook returns a copy of the DB, which the store does not use
	db.AddQueryHook(queries)
	reads := func() int {
		return len(queries.matching(func(q string) bool {
			return strings.HasPrefix(q, "SELECT") && strings.Contains(q, "usage_dimension_values")
		}))
	}

	batch("/a", "/b") // keeps both: read, then counted
	first := reads()
	require.Positive(t, first)
	batch("/a", "/b") // reads them as kept
	second := reads()
	require.Greater(t, second, first)
	batch("/b", "/a")
	require.Equal(t, second, reads(), "both values are known to be kept")
	batch("/a", "/c") // /c is past the bound of two
	require.Greater(t, reads(), second, "an unknown value is read")

	res, err := st.QueryUsage(ctx, &store.UsageQueryParams{Metric: "m", Subject: "acme", Dimensions: []string{"route"},
		GroupBy: []string{"route"}, Windows: []store.UsageWindow{{Start: periodStart, End: periodEnd}}})
	require.NoError(t, err)
	counts := map[string]int64{}
	for _, r := range res.Rows {
		counts[r.Group["route"]] = r.Count
	}
	require.Equal(t, map[string]int64{"/a": 4, "/b": 3, store.OtherDimensionValue: 1}, counts)
}
