package storetest

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// ingestTests are the contract of Ingest, one batch at a time, and of ListEvents,
// which reads back what it stored.
var ingestTests = []test{
	{"IngestInsertsReplaysAndConflicts", ingestInsertsReplaysAndConflicts},
	{"IngestAnswersARepeatInsideOneBatch", ingestAnswersARepeatInsideOneBatch},
	{"IngestRefusesPastTheLimitWithoutOverage", ingestRefusesPastTheLimitWithoutOverage},
	{"IngestNeverRefusesWithOverageOrWithoutLimit", ingestNeverRefusesWithOverageOrWithoutLimit},
	{"IngestAppliesEveryAggregation", ingestAppliesEveryAggregation},
	{"IngestLatestFollowsEventTimeNotArrival", ingestLatestFollowsEventTimeNotArrival},
	{"IngestCountsEachUniqueValueOncePerPeriod", ingestCountsEachUniqueValueOncePerPeriod},
	{"IngestReturnsTheQuotaRowsAsLeft", ingestReturnsTheQuotaRowsAsLeft},
	{"IngestStoresEveryColumnByteForByte", ingestStoresEveryColumnByteForByte},
	{"IngestStoresBatchesLargerThanOneStatement", ingestStoresBatchesLargerThanOneStatement},
	{"IngestFailsWhole", ingestFailsWhole},
	{"IngestRefusesAnEventPastTheRangeAlone", ingestRefusesAnEventPastTheRangeAlone},
	{"ListEventsRoundTripsAndPages", listEventsRoundTripsAndPages},
}

func ingestInsertsReplaysAndConflicts(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	first := ingest(t, st, ingestEvent("acme", "e1", "api_calls", 2, store.AggregationSum, 10, false))
	require.Equal(t, store.StatusInserted, first[0].Status)
	require.Equal(t, int64(0), first[0].UsedBefore)
	require.Equal(t, int64(2*unit), first[0].UsedAfter)

	again := ingest(t, st,
		ingestEvent("acme", "e1", "api_calls", 2, store.AggregationSum, 10, false),
		ingestEvent("acme", "e1", "api_calls", 3, store.AggregationSum, 10, false),
		ingestEvent("globex", "e1", "api_calls", 3, store.AggregationSum, 10, false),
	)
	require.Equal(t, []store.Status{store.StatusDuplicate, store.StatusConflict, store.StatusInserted}, statuses(again))
	stored := listEvents(t, st, "acme")
	require.Len(t, stored, 1)
	require.Positive(t, stored[0].Seq)
	require.Equal(t, stored[0].Seq, again[0].Stored.Seq, "a replay returns the original event")
	require.Equal(t, int64(2*unit), again[0].UsedAfter, "a replay returns the original usage")
	require.Equal(t, int64(2*unit), again[1].Stored.Value, "a conflict leaves the original unchanged")

	q := getQuota(t, st, "acme", "api_calls")
	require.Equal(t, int64(2*unit), q.Used, "replay and conflict charge nothing")
	require.Equal(t, int64(1), q.Count)
	require.Len(t, listEvents(t, st, "acme"), 1)
}

func ingestAnswersARepeatInsideOneBatch(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	out := ingest(t, st,
		ingestEvent("acme", "e1", "api_calls", 1, store.AggregationSum, 10, false),
		ingestEvent("acme", "e1", "api_calls", 1, store.AggregationSum, 10, false),
		ingestEvent("acme", "e1", "api_calls", 5, store.AggregationSum, 10, false),
	)
	require.Equal(t, []store.Status{store.StatusInserted, store.StatusDuplicate, store.StatusConflict}, statuses(out))
	require.Nil(t, out[0].Stored, "a new event repeats nothing")
	require.Equal(t, "e1", out[1].Stored.ID)
	require.Equal(t, int64(unit), out[1].Stored.Value, "the repeat answers with the first")
	require.Equal(t, out[0].UsedAfter, out[1].Stored.UsedAfter, "the repeat answers with the first")
	require.Equal(t, int64(unit), out[2].Stored.Value, "the conflict names the first")
	require.Len(t, listEvents(t, st, "acme"), 1)
	require.Equal(t, int64(unit), getQuota(t, st, "acme", "api_calls").Used)
}

func ingestRefusesPastTheLimitWithoutOverage(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	var batch []store.IngestEvent
	for i, v := range []float64{4, 4, 3, 2, 1, 1} {
		batch = append(batch, ingestEvent("acme", fmt.Sprint("e", i), "credits", v, store.AggregationSum, 10, false))
	}
	out := ingest(t, st, batch...)
	require.Equal(t, []store.Status{store.StatusInserted, store.StatusInserted, store.StatusQuotaExceeded,
		store.StatusInserted, store.StatusQuotaExceeded, store.StatusQuotaExceeded}, statuses(out))
	require.Equal(t, int64(8*unit), out[2].UsedBefore)
	require.Equal(t, int64(11*unit), out[2].UsedAfter, "a refusal says what usage would have become")
	q := getQuota(t, st, "acme", "credits")
	require.Equal(t, int64(10*unit), q.Used)
	require.Len(t, listEvents(t, st, "acme"), 3, "refused events are not stored")
}

func ingestNeverRefusesWithOverageOrWithoutLimit(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	out := ingest(t, st,
		ingestEvent("acme", "o1", "docs", 8, store.AggregationSum, 5, true),
		ingestEvent("acme", "u1", "calls", 1e6, store.AggregationSum, -1, false),
	)
	require.Equal(t, []store.Status{store.StatusInserted, store.StatusInserted}, statuses(out))
	require.Equal(t, int64(8*unit), getQuota(t, st, "acme", "docs").Used)
}

func ingestAppliesEveryAggregation(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	values := []float64{3, 7.5, 2, 7.5, 0.25}
	cases := []struct {
		agg  store.Aggregation
		want int64 // micro-units
	}{
		{store.AggregationSum, 20_250_000},
		{store.AggregationCount, 5_000_000},
		{store.AggregationMax, 7_500_000},
		{store.AggregationMin, 250_000},
		{store.AggregationAvg, 4_050_000},
		{store.AggregationLatest, 250_000},
	}
	for _, c := range cases {
		// In one batch, and one event per batch: then every event starts from the
		// counters the one before it stored.
		metric, apart := string(c.agg), string(c.agg)+"-apart"
		var batch []store.IngestEvent
		for i, v := range values {
			batch = append(batch, ingestEvent("acme", fmt.Sprint(metric, i), metric, v, c.agg, -1, false))
			ingest(t, st, ingestEvent("acme", fmt.Sprint(apart, i), apart, v, c.agg, -1, false))
		}
		ingest(t, st, batch...)
		require.Equal(t, c.want, getQuota(t, st, "acme", metric).Used, metric)
		require.Equal(t, c.want, getQuota(t, st, "acme", apart).Used, apart)
	}
}

func ingestLatestFollowsEventTimeNotArrival(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	newer := ingestEvent("acme", "new", "level", 9, store.AggregationLatest, -1, false)
	older := ingestEvent("acme", "old", "level", 4, store.AggregationLatest, -1, false)
	older.Event.Time = storeNow.Add(-time.Hour)
	ingest(t, st, newer)
	ingest(t, st, older)
	require.Equal(t, int64(9*unit), getQuota(t, st, "acme", "level").Used)
}

func ingestCountsEachUniqueValueOncePerPeriod(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	seat := func(id, user string) store.IngestEvent {
		e := ingestEvent("acme", id, "seats", 0, store.AggregationUniqueCount, 3, false)
		e.Quota.Distinct = user
		e.Event.Fingerprint = user
		return e
	}
	var batch []store.IngestEvent
	for i := range 300 {
		batch = append(batch, seat(fmt.Sprint("s", i), fmt.Sprint("user", i%2)))
	}
	out := ingest(t, st, batch...)
	for _, o := range out {
		require.Equal(t, store.StatusInserted, o.Status)
	}
	require.Equal(t, int64(2*unit), getQuota(t, st, "acme", "seats").Used)
	out = ingest(t, st, seat("a", "carol"), seat("b", "dave"), seat("c", "user0"), seat("d", "carol"))
	require.Equal(t, []store.Status{store.StatusInserted, store.StatusQuotaExceeded,
		store.StatusInserted, store.StatusInserted}, statuses(out),
		"a fourth seat is refused; seats already counted stay usable")
	require.Equal(t, int64(3*unit), getQuota(t, st, "acme", "seats").Used)
}

func ingestReturnsTheQuotaRowsAsLeft(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ingest(t, st, ingestEvent("acme", "e1", "api_calls", 2, store.AggregationSum, 3, false))
	// Only a duplicate and a refusal: the rows are reported all the same, as the
	// batch found them, which a retry after a lost reply relies on.
	res, err := st.Ingest(context.Background(), &store.IngestParams{Now: storeNow, Events: []store.IngestEvent{
		ingestEvent("acme", "e1", "api_calls", 2, store.AggregationSum, 3, false),
		ingestEvent("acme", "e2", "api_calls", 2, store.AggregationSum, 3, false),
		ingestEvent("globex", "e1", "api_calls", 1, store.AggregationSum, 3, false),
	}})
	require.NoError(t, err)
	require.Equal(t, []store.Status{store.StatusDuplicate, store.StatusQuotaExceeded, store.StatusInserted}, statuses(res.Outcomes))
	require.Equal(t, int64(3*unit), res.Outcomes[1].Limit)
	used := map[string]int64{}
	for _, q := range res.Quotas {
		used[q.Subject+"/"+q.Metric] = q.Used
		require.Equal(t, getQuota(t, st, q.Subject, q.Metric), q, "as stored")
	}
	require.Equal(t, map[string]int64{"acme/api_calls": 2 * unit, "globex/api_calls": unit}, used)
}

func ingestStoresEveryColumnByteForByte(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	// Values a bulk load must carry byte for byte: multi-byte UTF-8, the
	// characters text formats escape, empty strings, negative and large numbers.
	awkward := []store.IngestEvent{
		ingestEvent("Zürich-株式会社", "id\twith\ttabs", "api_calls", -2.5, store.AggregationSum, -1, false),
		ingestEvent("Zürich-株式会社", "line\nbreak\\back", "api_calls", 9_000_000_000_000, store.AggregationSum, -1, false),
	}
	awkward[0].Event.User = ""
	awkward[0].Event.Properties = map[string]string{"q": "a\tb\nc\\d\"e'f", "emoji": "😀", "empty": ""}
	awkward[1].Event.User = "ann\x01"
	awkward[1].Event.Fingerprint = strings.Repeat("f", 300)
	out := ingest(t, st, awkward...)
	stored := listEvents(t, st, "Zürich-株式会社")
	require.Len(t, stored, 2)
	for i, e := range stored {
		require.Equal(t, store.StatusInserted, out[i].Status)
		want := awkward[i].Event
		want.PeriodStart, want.UsedAfter, want.CreatedAt = periodStart, out[i].UsedAfter, storeNow
		require.Positive(t, e.Seq)
		e.Seq = 0
		require.Equal(t, want, e, "event %d as stored", i)
	}
	// A subject that SQL text must quote: its quota row is written by its ID.
	odd := "O'Brien \\ Söhne';--"
	ingest(t, st, ingestEvent(odd, "x", "api_calls", 2, store.AggregationSum, -1, false))
	ingest(t, st, ingestEvent(odd, "y", "api_calls", 3, store.AggregationSum, -1, false))
	require.Equal(t, int64(5*unit), getQuota(t, st, odd, "api_calls").Used)
}

func ingestStoresBatchesLargerThanOneStatement(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	// More subjects, and so quota and rollup rows, than one statement takes.
	const subjects = 617
	var batch []store.IngestEvent
	for i := range 1234 {
		batch = append(batch, ingestEvent(fmt.Sprint("s", i%subjects), fmt.Sprint("e", i), "api_calls", 0.1, store.AggregationSum, -1, false))
	}
	out := ingest(t, st, batch...)
	for _, o := range out {
		require.Equal(t, store.StatusInserted, o.Status)
	}
	seqs := map[int64]bool{}
	for s := range subjects {
		for _, e := range listEvents(t, st, fmt.Sprint("s", s)) {
			seqs[e.Seq] = true
		}
	}
	require.Len(t, seqs, 1234, "every event gets its own sequence number")
	var total int64
	for s := range subjects {
		used := getQuota(t, st, fmt.Sprint("s", s), "api_calls").Used
		require.Equal(t, int64(200_000), used, "s%d: two events of 0.1", s)
		total += used
		series, err := st.Series(context.Background(), &store.SeriesParams{Subject: fmt.Sprint("s", s),
			Metric: "api_calls", From: periodStart, To: periodEnd})
		require.NoError(t, err)
		require.Len(t, series.Buckets, 1, "s%d: one hour", s)
		b := series.Buckets[0]
		require.Equal(t, [4]int64{200_000, 2, 100_000, 100_000}, [4]int64{b.Total, b.Count, b.Min, b.Max},
			"s%d: the hour's rollup", s)
	}
	require.Equal(t, int64(123_400_000), total, "1234 × 0.1 = 123.4 exactly")
	// A second batch adds to the rows the first wrote.
	ingest(t, st, batch[0], ingestEvent("s0", "again", "api_calls", 0.3, store.AggregationSum, -1, false))
	series, err := st.Series(context.Background(), &store.SeriesParams{Subject: "s0", Metric: "api_calls",
		From: periodStart, To: periodEnd})
	require.NoError(t, err)
	b := series.Buckets[0]
	require.Equal(t, [4]int64{500_000, 3, 100_000, 300_000}, [4]int64{b.Total, b.Count, b.Min, b.Max})
	require.Equal(t, int64(500_000), getQuota(t, st, "s0", "api_calls").Used, "the duplicate counts once")
}

func listEventsRoundTripsAndPages(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	e := ingestEvent("acme", "e1", "api_calls", 1.5, store.AggregationSum, -1, false)
	e.Event.User = "ünïcode 用户"
	e.Event.Properties = map[string]string{"route": "/v1/docs", "emoji": "€ 🚀"}
	e.Event.Time = storeNow.Add(123456 * time.Microsecond)
	ingest(t, st, e)
	for i := range 4 {
		ingest(t, st, ingestEvent("acme", fmt.Sprint("p", i), "api_calls", 1, store.AggregationSum, -1, false))
	}
	ctx := context.Background()
	page, err := st.ListEvents(ctx, &store.ListEventsParams{Subject: "acme", Limit: 2})
	require.NoError(t, err)
	require.Len(t, page.Events, 2)
	got := page.Events[0]
	require.Equal(t, e.Event.User, got.User)
	require.Equal(t, e.Event.Properties, got.Properties)
	require.True(t, e.Event.Time.Equal(got.Time), "microsecond precision: %v vs %v", e.Event.Time, got.Time)
	require.Equal(t, int64(1_500_000), got.Value)
	require.True(t, periodStart.Equal(got.PeriodStart))
	rest, err := st.ListEvents(ctx, &store.ListEventsParams{Subject: "acme", AfterSeq: page.Events[1].Seq})
	require.NoError(t, err)
	require.Len(t, rest.Events, 3)
}

// ingestFailsWhole checks that a batch Ingest fails stores nothing: not the events
// before the one that fails (of an unknown aggregation), nor their quota rows'
// changes.
func ingestFailsWhole(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ingest(t, st, ingestEvent("acme", "first", "calls", 5, store.AggregationSum, -1, false))
	_, err := st.Ingest(context.Background(), &store.IngestParams{Now: storeNow, Events: []store.IngestEvent{
		ingestEvent("acme", "before", "other", 1, store.AggregationSum, -1, false),
		ingestEvent("acme", "also", "calls", 1, store.AggregationSum, -1, false),
		ingestEvent("acme", "fails", "bogus", 1, store.Aggregation("bogus"), -1, false),
	}})
	require.Error(t, err)
	require.Len(t, listEvents(t, st, "acme"), 1, "nothing of the failed batch is stored")
	res, err := st.GetQuotas(context.Background(), &store.GetQuotasParams{Subject: "acme", Metrics: []string{"other"}, At: storeNow})
	require.NoError(t, err)
	require.Empty(t, res.Quotas, "the failed batch created no quota row")
	require.Equal(t, int64(5*unit), getQuota(t, st, "acme", "calls").Used)
	out := ingest(t, st, ingestEvent("acme", "before", "other", 1, store.AggregationSum, -1, false))
	require.Equal(t, store.StatusInserted, out[0].Status, "an event of the failed batch is new when sent again")
}

// ingestRefusesAnEventPastTheRangeAlone checks that an event that would take its
// quota past the int64 range is refused with StatusOverflow and stored nowhere,
// while the batch's other events are stored, and that a retry of a stored event is
// still a replay.
func ingestRefusesAnEventPastTheRangeAlone(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	huge := ingestEvent("acme", "huge", "calls", 0, store.AggregationSum, -1, false)
	huge.Event.Value = math.MaxInt64 - 10
	ingest(t, st, huge)
	out := ingest(t, st,
		ingestEvent("acme", "before", "other", 1, store.AggregationSum, -1, false),
		ingestEvent("acme", "overflows", "calls", 100, store.AggregationSum, -1, false),
		ingestEvent("globex", "after", "calls", 2, store.AggregationSum, -1, false),
		huge)
	require.Equal(t, []store.Status{store.StatusInserted, store.StatusOverflow, store.StatusInserted, store.StatusDuplicate},
		[]store.Status{out[0].Status, out[1].Status, out[2].Status, out[3].Status})
	require.Equal(t, int64(math.MaxInt64-10), out[1].UsedBefore)
	require.Len(t, listEvents(t, st, "acme"), 2, "the refused event is not stored")
	require.Equal(t, int64(math.MaxInt64-10), getQuota(t, st, "acme", "calls").Used)
	require.Equal(t, int64(2*unit), getQuota(t, st, "globex", "calls").Used)
}
