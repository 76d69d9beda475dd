package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// rollupsTests are the contract of the reads of hourly rollups and event times:
// Series, ListActiveSeries and ListEventTimes.
var rollupsTests = []test{
	{"SeriesFollowsAdmittedEvents", seriesFollowsAdmittedEvents},
	{"SeriesAgreesWithTheStoredEvents", seriesAgreesWithTheStoredEvents},
	{"ListActiveSeriesPagesInKeyOrder", listActiveSeriesPagesInKeyOrder},
	{"ListEventTimesKeepsTheLatest", listEventTimesKeepsTheLatest},
	{"AnHourReadsTheSameAsBatchesComeAndGo", anHourReadsTheSameAsBatchesComeAndGo},
}

func seriesFollowsAdmittedEvents(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	at := func(id string, v float64, offset time.Duration) store.IngestEvent {
		e := ingestEvent("acme", id, "credits", v, store.AggregationSum, 10, false)
		e.Event.Time = storeNow.Add(offset)
		return e
	}
	ingest(t, st,
		at("a", 2, 5*time.Minute), at("b", 0.5, 59*time.Minute), at("c", 3, 61*time.Minute),
		at("a", 2, 5*time.Minute),  // replay: not counted again
		at("d", 9, 70*time.Minute), // refused: not counted
		at("e", 4.5, -time.Minute), // the hour before
	)
	res, err := st.Series(context.Background(), &store.SeriesParams{Subject: "acme", Metric: "credits",
		From: storeNow.Add(-24 * time.Hour), To: storeNow.Add(24 * time.Hour)})
	require.NoError(t, err)
	require.Len(t, res.Buckets, 3)
	want := []store.Bucket{
		{Start: storeNow.Add(-time.Hour), Total: 4_500_000, Count: 1, Min: 4_500_000, Max: 4_500_000},
		{Start: storeNow, Total: 2_500_000, Count: 2, Min: 500_000, Max: 2_000_000},
		{Start: storeNow.Add(time.Hour), Total: 3_000_000, Count: 1, Min: 3_000_000, Max: 3_000_000},
	}
	for i, b := range res.Buckets {
		require.True(t, want[i].Start.Equal(b.Start), "bucket %d starts %v, want %v", i, b.Start, want[i].Start)
		b.Start = want[i].Start
		require.Equal(t, want[i], b)
	}
	res, err = st.Series(context.Background(), &store.SeriesParams{Subject: "acme", Metric: "credits",
		From: storeNow, To: storeNow.Add(time.Hour)})
	require.NoError(t, err)
	require.Len(t, res.Buckets, 1, "From is inclusive, To exclusive")
}

func listActiveSeriesPagesInKeyOrder(t *testing.T, h Harness) {
	t.Parallel()
	ctx := context.Background()
	st, _ := open(t, h)
	old := storeNow.Add(-48 * time.Hour)
	at := func(ev store.IngestEvent, t time.Time) store.IngestEvent { ev.Event.Time = t; return ev }
	ingest(t, st,
		ingestEvent("s2", "a", "m1", 1, store.AggregationSum, -1, false),
		ingestEvent("s1", "b", "m2", 1, store.AggregationSum, -1, false),
		ingestEvent("s1", "c", "m1", 1, store.AggregationSum, -1, false),
		at(ingestEvent("s1", "d", "m3", 1, store.AggregationSum, -1, false), old),
		at(ingestEvent("s0", "e", "m1", 1, store.AggregationSum, -1, false), old),
		ingestEvent("s3", "f", "m2", 1, store.AggregationSum, -1, false),
		ingestEvent("s2", "g", "m1", 1, store.AggregationSum, -1, false),
	)
	var got []store.SeriesKey
	var after store.SeriesKey
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10)
		res, err := st.ListActiveSeries(ctx, &store.ListActiveSeriesParams{
			Since: storeNow.Add(-time.Hour), After: after, Limit: 2})
		require.NoError(t, err)
		require.LessOrEqual(t, len(res.Series), 2)
		if len(res.Series) == 0 {
			break
		}
		got = append(got, res.Series...)
		after = res.Series[len(res.Series)-1]
	}
	require.Equal(t, []store.SeriesKey{{Subject: "s1", Metric: "m1"}, {Subject: "s1", Metric: "m2"},
		{Subject: "s2", Metric: "m1"}, {Subject: "s3", Metric: "m2"}}, got,
		"each active series once, in key order; rollups before Since are not activity")
	res, err := st.ListActiveSeries(ctx, &store.ListActiveSeriesParams{Since: old})
	require.NoError(t, err)
	require.Len(t, res.Series, 6)
}

func listEventTimesKeepsTheLatest(t *testing.T, h Harness) {
	t.Parallel()
	ctx := context.Background()
	st, _ := open(t, h)
	var events []store.IngestEvent
	for i := range 10 {
		ev := ingestEvent("acme", fmt.Sprint("e", i), "m1", 1, store.AggregationSum, -1, false)
		ev.Event.Time = storeNow.Add(time.Duration(-i) * time.Minute)
		events = append(events, ev)
	}
	events = append(events, ingestEvent("acme", "other", "m2", 1, store.AggregationSum, -1, false),
		ingestEvent("globex", "x", "m1", 1, store.AggregationSum, -1, false))
	ingest(t, st, events...)
	res, err := st.ListEventTimes(ctx, &store.ListEventTimesParams{Subject: "acme", Metric: "m1",
		From: storeNow.Add(-8 * time.Minute), To: storeNow, Limit: 3})
	require.NoError(t, err)
	require.Len(t, res.Times, 3, "the latest Limit of [From, To)")
	for i, want := range []time.Duration{-3, -2, -1} {
		require.True(t, res.Times[i].Equal(storeNow.Add(want*time.Minute)), "time %d: %v", i, res.Times[i])
	}
	res, err = st.ListEventTimes(ctx, &store.ListEventTimesParams{Subject: "acme", Metric: "m1",
		From: storeNow.Add(-8 * time.Minute), To: storeNow.Add(time.Second)})
	require.NoError(t, err)
	require.Len(t, res.Times, 9)
}

// seriesAgreesWithTheStoredEvents ingests events over two days in batches of
// mixed outcomes (new, replayed, conflicting, refused) and checks that every hourly
// rollup is what the stored events make.
func seriesAgreesWithTheStoredEvents(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	from := storeNow.Add(-24 * time.Hour)
	var sent []store.IngestEvent
	for b := range 20 {
		var batch []store.IngestEvent
		for i := range 30 {
			n := b*30 + i
			e := ingestEvent("acme", fmt.Sprint("e", n*7%450), "credits", float64(n%9)+0.25, store.AggregationSum, 2000, false)
			e.Event.Time = from.Add(time.Duration(n*7919%(48*60)) * time.Minute)
			batch = append(batch, e)
		}
		sent = append(sent, batch...)
		ingest(t, st, batch...)
	}
	want := map[time.Time]store.Bucket{}
	for _, e := range listEvents(t, st, "acme") {
		start := e.Time.Truncate(time.Hour)
		b, ok := want[start]
		if !ok {
			b = store.Bucket{Start: start, Min: e.Value, Max: e.Value}
		}
		b.Total += e.Value
		b.Count++
		b.Min, b.Max = min(b.Min, e.Value), max(b.Max, e.Value)
		want[start] = b
	}
	res, err := st.Series(context.Background(), &store.SeriesParams{Subject: "acme", Metric: "credits",
		From: from, To: from.Add(48 * time.Hour)})
	require.NoError(t, err)
	require.Len(t, res.Buckets, len(want), "an hour has a rollup exactly when it has stored events")
	for i, b := range res.Buckets {
		if i > 0 {
			require.True(t, b.Start.After(res.Buckets[i-1].Start), "oldest first")
		}
		w, ok := want[b.Start.UTC()]
		require.True(t, ok, "rollup of %v has stored events", b.Start)
		b.Start = w.Start
		require.Equal(t, w, b)
	}
	t.Logf("%d events sent, %d hours with events", len(sent), len(want))
}

// A backend may keep a series' latest hour apart from its other rollups until a
// later hour comes (the SQL backends keep it in the quota row): every read sees
// each hour whole, across batches, late events, an hour that two periods share and
// a correction, and a series whose only hour is its latest is active.
func anHourReadsTheSameAsBatchesComeAndGo(t *testing.T, h Harness) {
	t.Parallel()
	ctx := context.Background()
	st, _ := open(t, h)
	// A period ends half way through the hour after storeNow's.
	boundary := storeNow.Add(90 * time.Minute)
	at := func(subject, id string, v float64, offset time.Duration) store.IngestEvent {
		e := ingestEvent(subject, id, "credits", v, store.AggregationSum, -1, false)
		e.Event.Time = storeNow.Add(offset)
		if e.Event.Time.Before(boundary) {
			e.Quota.PeriodEnd = boundary
		} else {
			e.Quota.PeriodStart = boundary
		}
		return e
	}
	type hour struct{ total, count, min, max, last float64 }
	check := func(step string, want ...hour) {
		t.Helper()
		series, err := st.Series(ctx, &store.SeriesParams{Subject: "acme", Metric: "credits",
			From: storeNow.Add(-24 * time.Hour), To: storeNow.Add(24 * time.Hour)})
		require.NoError(t, err)
		require.Len(t, series.Buckets, len(want), step)
		windows := make([]store.UsageWindow, len(want))
		for i, w := range want {
			start := storeNow.Add(time.Duration(i) * time.Hour)
			windows[i] = store.UsageWindow{Start: start, End: start.Add(time.Hour)}
			b := series.Buckets[i]
			require.True(t, b.Start.Equal(start), "%s: bucket %d starts %v", step, i, b.Start)
			require.Equal(t, []int64{int64(w.total * unit), int64(w.count), int64(w.min * unit), int64(w.max * unit)},
				[]int64{b.Total, b.Count, b.Min, b.Max}, "%s: series, hour %d", step, i)
		}
		usage, err := st.QueryUsage(ctx, &store.UsageQueryParams{Metric: "credits", Subject: "acme", Windows: windows, Latest: true})
		require.NoError(t, err)
		require.Len(t, usage.Rows, len(want), step)
		for i, w := range want {
			r := usage.Rows[i]
			require.Equal(t, []int64{int64(i), int64(w.total * unit), int64(w.count), int64(w.last * unit)},
				[]int64{int64(r.Window), r.Total, r.Count, r.Last}, "%s: usage, hour %d", step, i)
		}
	}

	ingest(t, st, at("acme", "a", 1, 10*time.Minute), at("acme", "b", 2, 20*time.Minute))
	check("one hour", hour{3, 2, 1, 2, 2})
	// c opens the next hour; d, late, belongs to the first.
	ingest(t, st, at("acme", "c", 4, 70*time.Minute), at("acme", "d", 8, 30*time.Minute))
	check("a later hour and a late event", hour{11, 3, 1, 8, 8}, hour{4, 1, 4, 4, 4})
	// e counts in the next period, in the same hour as c.
	ingest(t, st, at("acme", "e", 16, 100*time.Minute), at("beta", "f", 1, 100*time.Minute))
	check("an hour of two periods", hour{11, 3, 1, 8, 8}, hour{20, 2, 4, 16, 16})
	_, err := correct(st, "void-c", "acme", "c", store.CorrectionVoid, 0)
	require.NoError(t, err)
	// A rollup keeps the extreme values it has seen.
	check("a voided event", hour{11, 3, 1, 8, 8}, hour{16, 1, 4, 16, 16})

	active, err := st.ListActiveSeries(ctx, &store.ListActiveSeriesParams{Since: storeNow.Add(time.Hour), Limit: 10})
	require.NoError(t, err)
	require.Equal(t, []store.SeriesKey{{Subject: "acme", Metric: "credits"}, {Subject: "beta", Metric: "credits"}}, active.Series)
}
