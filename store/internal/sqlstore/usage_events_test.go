package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
)

// A window bound inside an hour (a zone half an hour off UTC) reads the part of the
// hour from the events, which the database aggregates: the total, count, extremes
// and the latest event, of two at the same time the one stored last.
func TestPartsOfHoursAreAggregatedFromTheirEvents(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) { partsOfHoursAreAggregated(t, b) })
}

func partsOfHoursAreAggregated(t *testing.T, b testdb.Backend) {
	ctx := context.Background()
	st, _ := b.OpenNew(t)
	hour := now.Truncate(time.Hour).Add(-3 * time.Hour)
	event := func(id string, value int64, at time.Time) store.IngestEvent {
		return store.IngestEvent{
			Event: store.Event{Subject: "acme", ID: id, Metric: "m", Value: value, Time: at, Fingerprint: id},
			Quota: store.QuotaSpec{PeriodStart: periodStart, PeriodEnd: periodEnd, Aggregation: store.AggregationLatest, Unlimited: true},
		}
	}
	// b and c share a microsecond; c is stored last, so it is the latest of the
	// first half hour. e lies in the second half hour.
	_, err := st.Ingest(ctx, &store.IngestParams{Now: now, Events: []store.IngestEvent{
		event("a", 5, hour.Add(10*time.Minute)), event("b", 7, hour.Add(20*time.Minute)),
		event("c", 3, hour.Add(20*time.Minute)), event("d", 1, hour.Add(-time.Minute)), event("e", 9, hour.Add(40*time.Minute)),
	}})
	require.NoError(t, err)
	windows := []store.UsageWindow{
		{Start: hour.Add(-30 * time.Minute), End: hour.Add(30 * time.Minute)},
		{Start: hour.Add(30 * time.Minute), End: hour.Add(90 * time.Minute)},
		{Start: hour.Add(90 * time.Minute), End: hour.Add(150 * time.Minute)},
	}
	for _, latest := range []bool{false, true} {
		res, err := st.QueryUsage(ctx, &store.UsageQueryParams{Metric: "m", Subject: "acme", Windows: windows, Latest: latest})
		require.NoError(t, err)
		require.Len(t, res.Rows, 2, "the third window has no events")
		first, second := res.Rows[0], res.Rows[1]
		require.Equal(t, []int64{16, 4, 1, 7}, []int64{first.Total, first.Count, first.Min, first.Max})
		require.True(t, first.LastAt.Equal(hour.Add(20*time.Minute)))
		require.Equal(t, []int64{9, 1, 9, 9}, []int64{second.Total, second.Count, second.Min, second.Max})
		if latest {
			require.Equal(t, int64(3), first.Last, "c is stored after b at the same time")
			require.Equal(t, int64(9), second.Last)
		}
	}
}
