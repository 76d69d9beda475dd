package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// usageQueryTests are the contract of QueryUsage, the dimension values Ingest keeps
// for it, and ListMetricQuotas.
var usageQueryTests = []test{
	{"QueryUsageSumsWholeHoursAndReadsPartHoursFromEvents", queryUsageSumsWholeHoursAndReadsPartHours},
	{"DimensionValuesPastTheLimitFoldIntoOtherInTheOrderStored", dimensionValuesPastTheLimitFoldIntoOther},
	{"QueryUsageFiltersAndGroupsByDimensions", queryUsageFiltersAndGroupsByDimensions},
	{"QueryUsageFindsTheLatestEventByTimeThenStorage", queryUsageFindsTheLatestEvent},
	{"QueryUsageCountsDistinctValuesPerSubject", queryUsageCountsDistinctValuesPerSubject},
	{"ListMetricQuotasPagesByUsageAndBySubject", listMetricQuotasPagesByUsageAndBySubject},
}

// routed is an unlimited sum event of acme's "calls" at storeNow plus offset, whose
// metric declares the dimension route, bounded to limit values.
func routed(id string, value float64, offset time.Duration, route string, limit int) store.IngestEvent {
	e := ingestEvent("acme", id, "calls", value, store.AggregationSum, -1, false)
	e.Event.Time = storeNow.Add(offset)
	e.Event.Properties = map[string]string{"route": route}
	e.Dimensions = store.Dimensions{Names: []string{"route"}, Values: []string{route}, Limit: limit}
	return e
}

func queryUsage(t *testing.T, st store.Store, params *store.UsageQueryParams) []store.UsageRow {
	t.Helper()
	if params.Metric == "" {
		params.Metric = "calls"
	}
	res, err := st.QueryUsage(context.Background(), params)
	require.NoError(t, err)
	return res.Rows
}

func queryUsageSumsWholeHoursAndReadsPartHours(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ingest(t, st,
		routed("a", 1, 10*time.Minute, "/a", 10), routed("b", 2, 40*time.Minute, "/a", 10),
		routed("c", 4, 90*time.Minute, "/b", 10), routed("d", 8, 150*time.Minute, "/b", 10))
	// Windows of half-hour offsets, as in Asia/Kolkata: [12:30, 13:30) and [13:30, 14:30).
	half := storeNow.Add(30 * time.Minute)
	rows := queryUsage(t, st, &store.UsageQueryParams{Subject: "acme", Windows: []store.UsageWindow{
		{Start: storeNow, End: half}, {Start: half, End: half.Add(time.Hour)}, {Start: half.Add(time.Hour), End: half.Add(2 * time.Hour)}}})
	require.Len(t, rows, 3)
	require.Equal(t, []int64{0, 1, 2}, []int64{int64(rows[0].Window), int64(rows[1].Window), int64(rows[2].Window)})
	require.Equal(t, []int64{1 * unit, 2 * unit, 4 * unit}, []int64{rows[0].Total, rows[1].Total, rows[2].Total})
	rows = queryUsage(t, st, &store.UsageQueryParams{Subject: "acme", Windows: []store.UsageWindow{
		{Start: storeNow.Add(-time.Hour), End: storeNow.Add(3 * time.Hour)}}})
	require.Len(t, rows, 1)
	require.Equal(t, store.UsageRow{Window: 0, Total: 15 * unit, Count: 4, Min: unit, Max: 8 * unit,
		LastAt: rows[0].LastAt}, rows[0])
	require.Empty(t, queryUsage(t, st, &store.UsageQueryParams{Subject: "other", Windows: []store.UsageWindow{
		{Start: storeNow, End: storeNow.Add(time.Hour)}}}), "another subject has no usage")
}

func dimensionValuesPastTheLimitFoldIntoOther(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ingest(t, st, routed("a", 1, 0, "/a", 2), routed("b", 1, 0, "/b", 2), routed("c", 1, 0, "/c", 2))
	ingest(t, st, routed("d", 1, time.Hour, "/c", 2), routed("e", 1, time.Hour, "/a", 2), routed("f", 1, time.Hour, "", 2))
	rows := queryUsage(t, st, &store.UsageQueryParams{Subject: "acme", Dimensions: []string{"route"}, GroupBy: []string{"route"},
		Windows: []store.UsageWindow{{Start: storeNow, End: storeNow.Add(2 * time.Hour)}}})
	got := map[string]int64{}
	for _, r := range rows {
		got[r.Group["route"]] = r.Count
	}
	require.Equal(t, map[string]int64{"/a": 2, "/b": 1, store.OtherDimensionValue: 2, "": 1}, got,
		"the first two values are kept; /c came third, and stays other in a later batch; a missing value is empty")
}

func queryUsageFiltersAndGroupsByDimensions(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ev := func(id string, v float64, route, region string) store.IngestEvent {
		e := routed(id, v, 0, route, 10)
		e.Event.Properties["region"] = region
		e.Dimensions = store.Dimensions{Names: []string{"region", "route"}, Values: []string{region, route}, Limit: 10}
		return e
	}
	ingest(t, st, ev("a", 1, "/a", "eu"), ev("b", 2, "/a", "us"), ev("c", 4, "/b", "eu"), ev("d", 8, "/b", "eu"))
	rows := queryUsage(t, st, &store.UsageQueryParams{Subject: "acme", Dimensions: []string{"region", "route"},
		GroupBy: []string{"route"}, Filters: map[string][]string{"region": {"eu"}},
		Windows: []store.UsageWindow{{Start: storeNow, End: storeNow.Add(time.Hour)}}})
	require.Len(t, rows, 2)
	require.Equal(t, map[string]string{"route": "/a"}, rows[0].Group)
	require.Equal(t, int64(1*unit), rows[0].Total)
	require.Equal(t, map[string]string{"route": "/b"}, rows[1].Group)
	require.Equal(t, int64(12*unit), rows[1].Total)
	require.Equal(t, int64(4*unit), rows[1].Min)
}

func queryUsageFindsTheLatestEvent(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	// Stored out of time order; c and d share a microsecond, and d is stored last.
	ingest(t, st, routed("a", 5, 20*time.Minute, "/a", 10), routed("b", 7, 10*time.Minute, "/a", 10))
	ingest(t, st, routed("c", 3, 30*time.Minute, "/a", 10), routed("d", 2, 30*time.Minute, "/a", 10))
	rows := queryUsage(t, st, &store.UsageQueryParams{Subject: "acme", Latest: true,
		Windows: []store.UsageWindow{{Start: storeNow, End: storeNow.Add(time.Hour)}}})
	require.Len(t, rows, 1)
	require.Equal(t, int64(2*unit), rows[0].Last)
	require.True(t, rows[0].LastAt.Equal(storeNow.Add(30*time.Minute)))
}

func queryUsageCountsDistinctValuesPerSubject(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	seat := func(subject, id, user string) store.IngestEvent {
		e := ingestEvent(subject, id, "seats", 1, store.AggregationUniqueCount, -1, false)
		e.Event.User, e.Quota.Distinct = user, user
		return e
	}
	ingest(t, st, seat("acme", "1", "ann"), seat("acme", "2", "bob"), seat("acme", "3", "ann"), seat("beta", "4", "ann"))
	windows := []store.UsageWindow{{Start: storeNow, End: storeNow.Add(time.Hour)}}
	rows := queryUsage(t, st, &store.UsageQueryParams{Metric: "seats", Subject: "acme", CountDistinct: true, Windows: windows})
	require.Equal(t, int64(2), rows[0].Count)
	rows = queryUsage(t, st, &store.UsageQueryParams{Metric: "seats", CountDistinct: true, Windows: windows})
	require.Equal(t, int64(3), rows[0].Count, "ann of acme and ann of beta are two seats")
}

func listMetricQuotasPagesByUsageAndBySubject(t *testing.T, h Harness) {
	t.Parallel()
	ctx := context.Background()
	st, _ := open(t, h)
	for i, used := range []float64{5, 9, 5, 1} {
		ingest(t, st, ingestEvent(fmt.Sprint("s", i), "e", "calls", used, store.AggregationSum, 4, true))
	}
	ingest(t, st, ingestEvent("s0", "other-metric", "docs", 100, store.AggregationSum, 4, true))
	page := func(params store.ListMetricQuotasParams) []string {
		params.Metric, params.At, params.Limit = "calls", storeNow, 2
		var out []string
		for {
			res, err := st.ListMetricQuotas(ctx, &params)
			require.NoError(t, err)
			if len(res.Quotas) == 0 {
				return out
			}
			for _, q := range res.Quotas {
				out = append(out, fmt.Sprintf("%s:%d", q.Subject, q.Used/unit))
			}
			last := res.Quotas[len(res.Quotas)-1]
			params.After = &store.QuotaCursor{Used: last.Used, Subject: last.Subject}
		}
	}
	require.Equal(t, []string{"s1:9", "s0:5", "s2:5", "s3:1"}, page(store.ListMetricQuotasParams{ByUsage: true}))
	require.Equal(t, []string{"s0:5", "s1:9", "s2:5", "s3:1"}, page(store.ListMetricQuotasParams{}))
	require.Equal(t, []string{"s1:9", "s0:5", "s2:5"}, page(store.ListMetricQuotasParams{ByUsage: true, OverLimit: true}))
	res, err := st.ListMetricQuotas(ctx, &store.ListMetricQuotasParams{Metric: "calls", At: periodEnd})
	require.NoError(t, err)
	require.Empty(t, res.Quotas, "no quota's period holds the time")
}
