package storetest

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/store"
)

// exerciseAnomalies checks anomaly records in the store, and detection through a
// Meter over hourly rollups and events.
func exerciseAnomalies(t *testing.T, h Harness) {
	ctx := context.Background()

	t.Run("InsertIsIdempotentByKey", func(t *testing.T) {
		t.Parallel()
		st, _ := open(t, h)
		first := []store.Anomaly{
			testAnomaly("acme", "api_calls", 0, "ensemble"),
			testAnomaly("acme", "api_calls", 1, "ensemble"),
			testAnomaly("acme", "api_calls", 1, "burst"),
		}
		first[0].Reasons = []store.AnomalyReason{{Detector: "seasonal", Stat: 209.5, Value: 0.95},
			{Detector: "velocity", Stat: -math.MaxFloat64, Value: 0.5}}
		first[0].FraudSuspect = true
		res, err := st.InsertAnomalies(ctx, &store.InsertAnomaliesParams{Anomalies: first})
		require.NoError(t, err)
		require.Len(t, res.Inserted, 3)
		for i, a := range res.Inserted {
			require.Positive(t, a.ID)
			if i > 0 {
				require.Greater(t, a.ID, res.Inserted[i-1].ID)
			}
		}

		again := append(first, testAnomaly("acme", "api_calls", 2, "ensemble"), testAnomaly("acme", "api_calls", 2, "ensemble"))
		res, err = st.InsertAnomalies(ctx, &store.InsertAnomaliesParams{Anomalies: again})
		require.NoError(t, err)
		require.Len(t, res.Inserted, 1, "only the new key is stored, once")
		require.True(t, res.Inserted[0].At.Equal(anomalyTime(2)))

		all := listAnomalies(t, st, store.ListAnomaliesParams{})
		require.Len(t, all, 4)
		got := all[0]
		require.True(t, got.At.Equal(first[0].At))
		require.True(t, got.CreatedAt.Equal(storeNow))
		require.True(t, got.UpdatedAt.Equal(storeNow), "UpdatedAt starts as CreatedAt")
		got.At, got.CreatedAt, got.UpdatedAt = first[0].At, first[0].CreatedAt, first[0].CreatedAt
		want := first[0]
		want.ID, want.UpdatedAt = got.ID, want.CreatedAt
		require.Equal(t, want, got, "every field round-trips")

		bad := testAnomaly("acme", "api_calls", 3, "ensemble")
		bad.Status = "closed"
		_, err = st.InsertAnomalies(ctx, &store.InsertAnomaliesParams{Anomalies: []store.Anomaly{
			testAnomaly("acme", "api_calls", 4, "ensemble"), bad}})
		require.ErrorIs(t, err, store.ErrInvalidStatus)
		require.Len(t, listAnomalies(t, st, store.ListAnomaliesParams{}), 4, "nothing of a refused call is stored")
	})

	t.Run("ListFiltersAndPages", func(t *testing.T) {
		t.Parallel()
		st, _ := open(t, h)
		var batch []store.Anomaly
		for i := range 12 {
			batch = append(batch, testAnomaly([]string{"acme", "globex"}[i%2], []string{"api_calls", "documents", "api_calls"}[i%3], i, "ensemble"))
		}
		batch = append(batch, testAnomaly("acme", "api_calls", 0, "burst"))
		res, err := st.InsertAnomalies(ctx, &store.InsertAnomaliesParams{Anomalies: batch})
		require.NoError(t, err)
		require.Len(t, res.Inserted, 13)
		_, err = st.SetAnomalyStatus(ctx, &store.SetAnomalyStatusParams{ID: res.Inserted[4].ID,
			Status: store.AnomalyConfirmed, Now: storeNow})
		require.NoError(t, err)

		hours := func(as []store.Anomaly) []int {
			var out []int
			for _, a := range as {
				out = append(out, int(a.At.Sub(anomalyTime(0))/time.Hour))
			}
			return out
		}
		require.Equal(t, []int{0, 2, 4, 6, 8, 10, 0}, hours(listAnomalies(t, st, store.ListAnomaliesParams{Subject: "acme"})))
		require.Equal(t, []int{0, 2, 6, 8, 0}, hours(listAnomalies(t, st, store.ListAnomaliesParams{Subject: "acme", Metric: "api_calls"})))
		require.Equal(t, []int{0}, hours(listAnomalies(t, st, store.ListAnomaliesParams{Method: "burst"})))
		require.Equal(t, []int{4}, hours(listAnomalies(t, st, store.ListAnomaliesParams{Status: store.AnomalyConfirmed})))
		require.Len(t, listAnomalies(t, st, store.ListAnomaliesParams{Status: store.AnomalyOpen}), 12)
		require.Equal(t, []int{3, 4, 5}, hours(listAnomalies(t, st, store.ListAnomaliesParams{Method: "ensemble",
			From: anomalyTime(3), To: anomalyTime(6)})), "From inclusive, To exclusive")
		require.Equal(t, []int{10, 11}, hours(listAnomalies(t, st, store.ListAnomaliesParams{From: anomalyTime(10)})))

		var paged []store.Anomaly
		var after int64
		for pages := 0; ; pages++ {
			require.Less(t, pages, 10)
			r, err := st.ListAnomalies(ctx, &store.ListAnomaliesParams{AfterID: after, Limit: 5})
			require.NoError(t, err)
			require.LessOrEqual(t, len(r.Anomalies), 5)
			if len(r.Anomalies) == 0 {
				break
			}
			paged = append(paged, r.Anomalies...)
			after = r.Anomalies[len(r.Anomalies)-1].ID
		}
		require.Len(t, paged, 13, "pages cover every record once")
		for i := 1; i < len(paged); i++ {
			require.Greater(t, paged[i].ID, paged[i-1].ID)
		}

		_, err = st.ListAnomalies(ctx, &store.ListAnomaliesParams{Status: "closed"})
		require.ErrorIs(t, err, store.ErrInvalidStatus)
	})

	t.Run("StatusChanges", func(t *testing.T) {
		t.Parallel()
		st, _ := open(t, h)
		res, err := st.InsertAnomalies(ctx, &store.InsertAnomaliesParams{Anomalies: []store.Anomaly{
			testAnomaly("acme", "api_calls", 0, "ensemble")}})
		require.NoError(t, err)
		id := res.Inserted[0].ID
		later := storeNow.Add(time.Hour)
		set, err := st.SetAnomalyStatus(ctx, &store.SetAnomalyStatusParams{ID: id,
			Status: store.AnomalyInvestigating, Note: "asked the customer", Now: later})
		require.NoError(t, err)
		require.Equal(t, store.AnomalyInvestigating, set.Anomaly.Status)
		require.Equal(t, "asked the customer", set.Anomaly.Note)
		require.True(t, set.Anomaly.UpdatedAt.Equal(later))
		require.True(t, set.Anomaly.CreatedAt.Equal(storeNow))
		require.Equal(t, id, set.Anomaly.ID)

		_, err = st.SetAnomalyStatus(ctx, &store.SetAnomalyStatusParams{ID: id + 1000, Status: store.AnomalyDismissed, Now: later})
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = st.SetAnomalyStatus(ctx, &store.SetAnomalyStatusParams{ID: id, Status: "closed", Now: later})
		require.ErrorIs(t, err, store.ErrInvalidStatus)

		got := listAnomalies(t, st, store.ListAnomaliesParams{})
		require.Len(t, got, 1)
		require.Equal(t, store.AnomalyInvestigating, got[0].Status, "a refused change changes nothing")
		require.Equal(t, "asked the customer", got[0].Note)
	})

	t.Run("ListActiveSeriesPages", func(t *testing.T) {
		t.Parallel()
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
	})

	t.Run("ListEventTimesKeepsTheLatest", func(t *testing.T) {
		t.Parallel()
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
	})

	t.Run("DetectFindsTheSpikeOnce", func(t *testing.T) {
		t.Parallel()
		b := setupMeter(t, h)
		now := time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)
		b.clock.Set(now)
		require.NoError(t, b.meter.Assign(ctx, usage.Assignment{Subject: "acme", Plan: "enterprise",
			TimeZone: "America/New_York"}))
		spike := now.Truncate(time.Hour).Add(-5 * time.Hour)
		trackHourly(t, b, "acme", 0, spike)

		found, err := b.meter.DetectAnomalies(ctx, "acme", usage.MetricAPICalls, usage.DetectOptions{})
		require.NoError(t, err)
		require.Len(t, found, 1, "one incident, one record: %+v", found)
		a := found[0]
		require.Equal(t, usage.AnomalyMethodEnsemble, a.Method)
		require.True(t, a.At.Equal(spike), "at the spike hour: %v", a.At)
		require.Equal(t, float64(spikeValue), a.Value)
		require.InDelta(t, steadyValue(spike, 0), a.Expected, 15, "expected is the usual level of that hour")
		require.GreaterOrEqual(t, a.Score, 0.82)
		require.Equal(t, usage.AnomalyOpen, a.Status)
		require.NotEmpty(t, a.Reasons)
		require.Positive(t, a.ID)

		again, err := b.meter.DetectAnomalies(ctx, "acme", usage.MetricAPICalls, usage.DetectOptions{})
		require.NoError(t, err)
		require.Empty(t, again, "the same window stores nothing new")
		b.clock.Set(now.Add(3 * time.Hour))
		again, err = b.meter.DetectAnomalies(ctx, "acme", usage.MetricAPICalls, usage.DetectOptions{})
		require.NoError(t, err)
		require.Empty(t, again, "an overlapping window stores nothing new")
		stored, err := b.meter.Anomalies(ctx, usage.AnomalyFilter{Subject: "acme"})
		require.NoError(t, err)
		require.Len(t, stored, 1)
		require.Equal(t, a.ID, stored[0].ID)

		set, err := b.meter.SetAnomalyStatus(ctx, a.ID, usage.AnomalyConfirmed, "load test without notice")
		require.NoError(t, err)
		require.Equal(t, usage.AnomalyConfirmed, set.Status)
		confirmed, err := b.meter.Anomalies(ctx, usage.AnomalyFilter{Status: usage.AnomalyConfirmed})
		require.NoError(t, err)
		require.Len(t, confirmed, 1)
		require.Equal(t, "load test without notice", confirmed[0].Note)
		open, err := b.meter.Anomalies(ctx, usage.AnomalyFilter{Status: usage.AnomalyOpen})
		require.NoError(t, err)
		require.Empty(t, open)

		_, err = b.meter.SetAnomalyStatus(ctx, a.ID, "closed", "")
		require.ErrorIs(t, err, usage.ErrInvalidEvent)
		var ve *usage.ValidationError
		require.ErrorAs(t, err, &ve)
		require.Equal(t, "status", ve.Field)
		_, err = b.meter.SetAnomalyStatus(ctx, a.ID+1000, usage.AnomalyDismissed, "")
		require.ErrorIs(t, err, usage.ErrAnomalyNotFound)
		_, err = b.meter.DetectAnomalies(ctx, "acme", "gpu_hours", usage.DetectOptions{})
		require.ErrorAs(t, err, &ve)
		require.Equal(t, "metric", ve.Field)
		_, err = b.meter.DetectAnomalies(ctx, "acme", usage.MetricAPICalls, usage.DetectOptions{Lookback: 365 * 24 * time.Hour})
		require.ErrorAs(t, err, &ve)
		require.Equal(t, "lookback", ve.Field)
	})

	t.Run("DetectAllFindsOnlyTheSpikySubject", func(t *testing.T) {
		t.Parallel()
		b := setupMeter(t, h)
		now := time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)
		b.clock.Set(now)
		spike := now.Truncate(time.Hour).Add(-9 * time.Hour)
		for i, s := range []string{"steady-a", "steady-b", "spiky", "steady-c"} {
			at := time.Time{}
			if s == "spiky" {
				at = spike
			}
			trackHourly(t, b, s, i*5, at)
		}
		sum, err := b.meter.DetectAllAnomalies(ctx, usage.DetectAllOptions{Concurrency: 2})
		require.NoError(t, err)
		require.Equal(t, usage.DetectSummary{Subjects: 4, Series: 4, Found: 1}, sum)
		all, err := b.meter.Anomalies(ctx, usage.AnomalyFilter{})
		require.NoError(t, err)
		require.Len(t, all, 1)
		require.Equal(t, "spiky", all[0].Subject)
		require.True(t, all[0].At.Equal(spike))

		sum, err = b.meter.DetectAllAnomalies(ctx, usage.DetectAllOptions{})
		require.NoError(t, err)
		require.Equal(t, usage.DetectSummary{Subjects: 4, Series: 4}, sum, "a second run finds nothing new")

		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		_, err = b.meter.DetectAllAnomalies(cancelled, usage.DetectAllOptions{})
		require.ErrorIs(t, err, context.Canceled)
	})

	t.Run("DetectFlagsBotsAndBursts", func(t *testing.T) {
		t.Parallel()
		b := setupMeter(t, h)
		now := time.Date(2026, 11, 20, 23, 30, 0, 0, time.UTC)
		b.clock.Set(now)
		day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
		var events []usage.Event
		for i := range 400 { // a script calling every three minutes
			events = append(events, usage.Event{ID: fmt.Sprint("bot-", i), Subject: "bot",
				Metric: usage.MetricAPICalls, Value: 1, Time: day.Add(time.Hour + time.Duration(i)*3*time.Minute)})
		}
		burst := day.Add(12 * time.Hour)
		for i := range 100 { // 100 calls in under a minute, at irregular gaps
			events = append(events, usage.Event{ID: fmt.Sprint("burst-", i), Subject: "bursty",
				Metric: usage.MetricAPICalls, Value: 1,
				Time: burst.Add(time.Duration(i)*400*time.Millisecond + time.Duration(i*7919%397)*time.Millisecond)})
		}
		trackAll(t, b, events)

		found, err := b.meter.DetectAnomalies(ctx, "bot", usage.MetricAPICalls, usage.DetectOptions{})
		require.NoError(t, err)
		require.Len(t, found, 1, "%+v", found)
		require.Equal(t, usage.AnomalyMethodRegularity, found[0].Method)
		require.True(t, found[0].At.Equal(day), "the day in the subject's zone: %v", found[0].At)
		require.True(t, found[0].FraudSuspect)
		require.Less(t, found[0].Value, 0.1, "the coefficient of variation of the gaps")

		found, err = b.meter.DetectAnomalies(ctx, "bursty", usage.MetricAPICalls, usage.DetectOptions{})
		require.NoError(t, err)
		require.Len(t, found, 1, "%+v", found)
		require.Equal(t, usage.AnomalyMethodBurst, found[0].Method)
		require.True(t, found[0].At.Equal(burst), "at the burst's first event: %v", found[0].At)
		require.Equal(t, 100.0, found[0].Value)
		require.Equal(t, 60.0, found[0].Expected)

		for _, s := range []string{"bot", "bursty"} {
			again, err := b.meter.DetectAnomalies(ctx, s, usage.MetricAPICalls, usage.DetectOptions{})
			require.NoError(t, err)
			require.Empty(t, again, "a second run stores nothing new")
			none, err := b.meter.DetectAnomalies(ctx, s, usage.MetricAPICalls, usage.DetectOptions{SkipEvents: true})
			require.NoError(t, err)
			require.Empty(t, none, "a day of history is too short for the hourly ensemble")
		}
	})
}

// anomalyTime is the time of test anomaly i: one hour apart.
func anomalyTime(i int) time.Time { return storeNow.Add(time.Duration(i-24) * time.Hour) }

func testAnomaly(subject, metric string, i int, method string) store.Anomaly {
	return store.Anomaly{Subject: subject, Metric: metric, At: anomalyTime(i), Method: method,
		Value: 1000.5, Expected: 120.25, Score: 0.93, Risk: 97, Status: store.AnomalyOpen,
		CreatedAt: storeNow}
}

func listAnomalies(t *testing.T, st store.Store, params store.ListAnomaliesParams) []store.Anomaly {
	t.Helper()
	res, err := st.ListAnomalies(context.Background(), &params)
	require.NoError(t, err)
	return res.Anomalies
}

// spikeValue is the usage of the spike hour trackHourly injects.
const spikeValue = 1000

// steadyValue is the usage of a steady subject in the hour starting at t: a daily
// cycle between about 60 and 140 calls, shifted by phase hours, with a little
// deterministic noise.
func steadyValue(t time.Time, phase int) float64 {
	h := t.Unix() / 3600
	return math.Round(100 + 40*math.Sin(2*math.Pi*float64(h+int64(phase))/24) + float64(h*7919%13))
}

// trackHourly tracks 30 days of steady hourly usage of subject ending at the current
// hour, one event per hour at an irregular minute, and a spike of spikeValue in the
// hour starting at spike unless it is zero.
func trackHourly(t *testing.T, b *meterBundle, subject string, phase int, spike time.Time) {
	t.Helper()
	end := b.clock.Now().Truncate(time.Hour)
	var events []usage.Event
	for i := range 30 * 24 {
		hour := end.Add(time.Duration(i-30*24) * time.Hour)
		v := steadyValue(hour, phase)
		if hour.Equal(spike) {
			v = spikeValue
		}
		minute := time.Duration(i*7919%59) * time.Minute
		events = append(events, usage.Event{ID: fmt.Sprint(subject, "-", i), Subject: subject,
			Metric: usage.MetricAPICalls, Value: v, Time: hour.Add(minute)})
	}
	trackAll(t, b, events)
}

func trackAll(t *testing.T, b *meterBundle, events []usage.Event) {
	t.Helper()
	res, err := b.meter.TrackBatch(context.Background(), events)
	require.NoError(t, err)
	for i, r := range res {
		require.NoError(t, r.Err, "event %d", i)
	}
}
