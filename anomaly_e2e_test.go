package usage_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
)

func TestDetectFindsTheSpikeOnce(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		ctx := context.Background()
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
}

func TestDetectAllFindsOnlyTheSpikySubject(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		ctx := context.Background()
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
}

func TestDetectFlagsBotsAndBursts(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		ctx := context.Background()
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
		track(t, b.meter, events...)

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

func TestDetectExpectsAWeekendHourFromWeekends(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		ctx := context.Background()
		now := time.Date(2026, 11, 22, 18, 30, 0, 0, time.UTC) // a Sunday
		b.clock.Set(now)
		spike := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC) // the Saturday before
		end := now.Truncate(time.Hour)
		r := rand.New(rand.NewPCG(1, 2))
		var events []usage.Event
		for i := range 30 * 24 {
			hour := end.Add(time.Duration(i-30*24) * time.Hour)
			v := math.Round(100 + 5*r.NormFloat64())
			if wd := hour.Weekday(); wd == time.Saturday || wd == time.Sunday {
				v = math.Round(20 + r.NormFloat64())
			}
			if hour.Equal(spike) {
				v = spikeValue
			}
			events = append(events, usage.Event{ID: fmt.Sprint("w-", i), Subject: "weekly",
				Metric: usage.MetricAPICalls, Value: v, Time: hour.Add(time.Duration(i*7919%59) * time.Minute)})
		}
		track(t, b.meter, events...)
		found, err := b.meter.DetectAnomalies(ctx, "weekly", usage.MetricAPICalls, usage.DetectOptions{SkipEvents: true})
		require.NoError(t, err)
		require.Len(t, found, 1, "%+v", found)
		require.True(t, found[0].At.Equal(spike), "at the spike hour: %v", found[0].At)
		require.InDelta(t, 20, found[0].Expected, 2, "expected is a weekend's level, not a weekday's")
	})
}

func TestDetectFlagsATimerOnlyOnItsFirstRegularDay(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		ctx := context.Background()
		start := time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)
		var events []usage.Event
		for i := range 4 * 288 { // a client reporting every five minutes for four days
			events = append(events, usage.Event{ID: fmt.Sprint("tick-", i), Subject: "reporter",
				Metric: usage.MetricAPICalls, Value: 1, Time: start.Add(time.Duration(i) * 5 * time.Minute)})
		}
		track(t, b.meter, events...)
		var flagged []time.Time
		for day := 1; day <= 4; day++ { // detection once a day, just after midnight
			b.clock.Set(start.AddDate(0, 0, day).Add(30 * time.Minute))
			found, err := b.meter.DetectAnomalies(ctx, "reporter", usage.MetricAPICalls, usage.DetectOptions{})
			require.NoError(t, err)
			for _, a := range found {
				require.Equal(t, usage.AnomalyMethodRegularity, a.Method, "%+v", a)
				flagged = append(flagged, a.At)
			}
		}
		require.Equal(t, []time.Time{start}, flagged,
			"a timer is new on its first day; on the later ones it is the client's habit")
	})
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
func trackHourly(t *testing.T, b *testMeter, subject string, phase int, spike time.Time) {
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
	track(t, b.meter, events...)
}
