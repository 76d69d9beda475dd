package usage_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
)

func TestDailyForecastProjectsTheQuota(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		ctx := context.Background()
		b := newForecastMeter(t, db)
		heavy := trackDaily(t, b, "heavy", "America/New_York", heavyRate)
		light := trackDaily(t, b, "light", "Europe/Lisbon", lightRate)

		fc, err := b.meter.Forecast(ctx, "heavy", usage.MetricDocuments, usage.ForecastOptions{})
		require.NoError(t, err)
		require.Equal(t, usage.ForecastDaily, fc.Step)
		require.Equal(t, historyDays, fc.History, "from the first day with usage to yesterday")
		require.True(t, fc.GeneratedAt.Equal(forecastNow))
		require.NotEmpty(t, fc.Model)

		// Today (March 15) to March 31, in New York: the rest of the period.
		requireSteps(t, fc, heavy.today, 17)
		require.True(t, fc.Points[16].End.Equal(heavy.periodEnd))
		for i, p := range fc.Points {
			require.InDelta(t, heavyRate, p.Value, 5, "day %d: the known rate", i)
			require.LessOrEqual(t, p.Lower95, p.Lower80, "day %d", i)
			require.LessOrEqual(t, p.Lower80, p.Value, "day %d", i)
			require.LessOrEqual(t, p.Value, p.Upper80, "day %d", i)
			require.LessOrEqual(t, p.Upper80, p.Upper95, "day %d", i)
		}

		q := fc.Quota
		require.NotNil(t, q)
		require.Equal(t, "500", q.Limit.String(), "professional documents")
		require.True(t, q.AllowOverage)
		require.Equal(t, heavy.used, q.Used.Float64())
		require.True(t, q.Period.End.Equal(heavy.periodEnd))
		require.Len(t, q.Crossings, 3)
		require.Equal(t, []float64{80, 90, 100},
			[]float64{q.Crossings[0].Percent, q.Crossings[1].Percent, q.Crossings[2].Percent})
		require.True(t, q.Crossings[0].Already, "400 of 500 are used already")
		// The arithmetic answer: the rest of today at the rate, then a day at a time.
		total, at := heavy.used+heavyRate-heavy.todaySoFar, heavy.today.AddDate(0, 0, 1)
		for total < 500 {
			total += heavyRate
			at = at.AddDate(0, 0, 1)
		}
		c := q.Crossings[2]
		require.True(t, c.Reached)
		require.False(t, c.Already)
		require.InDelta(t, 0, c.At.Sub(at).Hours(), 24, "100 %% at %v, the rate says %v", c.At, at)
		expected := heavy.used + heavyRate*17 - heavy.todaySoFar
		require.InDelta(t, expected, q.ExpectedUsage, 60)
		require.Greater(t, q.ExceedProbability, 0.95)
		require.InDelta(t, expected-500, q.ExpectedOverage, 60)
		// €0.40 per document beyond the 500.
		require.Equal(t, "EUR", q.ExpectedCost.Currency)
		require.True(t, q.ExpectedCost.Amount.Equal(usage.RoundCents(decimal.NewFromFloat(q.ExpectedOverage).Mul(decimal.New(4, -1)))),
			"cost %s for %v documents over", q.ExpectedCost, q.ExpectedOverage)

		fl, err := b.meter.Forecast(ctx, "light", usage.MetricDocuments, usage.ForecastOptions{})
		require.NoError(t, err)
		requireSteps(t, fl, light.today, 17)
		// Lisbon moves its clocks on March 29: that day has 23 hours.
		require.Equal(t, 23*time.Hour, fl.Points[14].End.Sub(fl.Points[14].Start))
		for i, p := range fl.Points {
			require.InDelta(t, lightRate, p.Value, 2, "day %d", i)
		}
		lq := fl.Quota
		require.NotNil(t, lq)
		require.Equal(t, light.used, lq.Used.Float64())
		require.Less(t, lq.ExceedProbability, 0.01, "far below the limit")
		require.False(t, lq.Crossings[0].Reached)
		require.False(t, lq.Crossings[2].Reached)
		require.True(t, lq.Crossings[2].At.IsZero())
		require.Less(t, lq.ExpectedOverage, 1.0)
		require.True(t, lq.ExpectedCost.Amount.IsZero())

		short, err := b.meter.Forecast(ctx, "heavy", usage.MetricDocuments, usage.ForecastOptions{Horizon: 3})
		require.NoError(t, err)
		require.Len(t, short.Points, 3, "the horizon asked for")
		require.True(t, short.Quota.Crossings[2].At.Equal(c.At), "the projection still runs to the period's end")
	})
}

func TestHourlyForecastFollowsTheDailyCycle(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		ctx := context.Background()
		b := newForecastMeter(t, db)
		heavy := trackDaily(t, b, "heavy", "America/New_York", heavyRate)
		fc, err := b.meter.Forecast(ctx, "heavy", usage.MetricDocuments, usage.ForecastOptions{Step: usage.ForecastHourly})
		require.NoError(t, err)
		require.Equal(t, usage.ForecastHourly, fc.Step)
		now := forecastNow.Truncate(time.Hour)
		requireSteps(t, fc, now, int(heavy.periodEnd.Sub(now)/time.Hour))
		// Tomorrow, hour by hour: the day's usage comes at 9, 13 and 17 o'clock.
		tomorrow := heavy.today.AddDate(0, 0, 1)
		sum, peak := 0.0, time.Time{}
		best := math.Inf(-1)
		for _, p := range fc.Points {
			if p.Start.Before(tomorrow) || !p.Start.Before(tomorrow.AddDate(0, 0, 1)) {
				continue
			}
			sum += p.Value
			if p.Value > best {
				best, peak = p.Value, p.Start
			}
		}
		require.InDelta(t, heavyRate, sum, 8, "a day of hourly forecasts adds up to the daily rate")
		require.Contains(t, []int{9, 13, 17}, peak.In(heavy.loc).Hour(), "the busiest hour is one with usage")
		require.NotNil(t, fc.Quota)
		require.InDelta(t, heavy.used+heavyRate*17-heavy.todaySoFar, fc.Quota.ExpectedUsage, 60)
	})
}

func TestGaugesForecastTheirLevel(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		ctx := context.Background()
		b := newForecastMeter(t, db)
		require.NoError(t, b.meter.Assign(ctx, usage.Assignment{Subject: "acme", Plan: "professional"}))
		// Storage grows by 1 GB a day: 20 GB three weeks ago, 41 GB today.
		var events []usage.Event
		start := forecastNow.Truncate(24*time.Hour).AddDate(0, 0, -historyDays)
		for d := range historyDays + 1 {
			events = append(events, usage.Event{ID: fmt.Sprint("gb-", d), Subject: "acme",
				Metric: usage.MetricStorageGB, Value: float64(20 + d), Time: start.AddDate(0, 0, d).Add(9 * time.Hour)})
		}
		track(t, b.meter, events...)
		fc, err := b.meter.Forecast(ctx, "acme", usage.MetricStorageGB, usage.ForecastOptions{})
		require.NoError(t, err)
		require.InDelta(t, 42, fc.Points[1].Value, 3, "tomorrow's level, not a day's growth")
		require.Greater(t, fc.Points[len(fc.Points)-1].Value, fc.Points[0].Value, "the level keeps growing")
		q := fc.Quota
		require.NotNil(t, q)
		require.Equal(t, "41", q.Used.String(), "the period's peak so far")
		require.GreaterOrEqual(t, q.ExpectedUsage, 41.0, "the peak cannot fall")
		require.True(t, q.Crossings[0].Already, "40 of 50 GB is reached already")
		// 45 GB on March 19 and 50 GB on March 24, so by the ends of those days.
		today := forecastNow.Truncate(24 * time.Hour)
		require.False(t, q.Crossings[1].Already)
		require.InDelta(t, 0, q.Crossings[1].At.Sub(today.AddDate(0, 0, 5)).Hours(), 24, "90 %% at %v", q.Crossings[1].At)
		require.InDelta(t, 0, q.Crossings[2].At.Sub(today.AddDate(0, 0, 10)).Hours(), 24, "100 %% at %v", q.Crossings[2].At)
		// The peak is the level of March 31, 57 GB: 7 GB over at €1.50.
		require.InDelta(t, 57, q.ExpectedUsage, 2)
		require.InDelta(t, 7, q.ExpectedOverage, 2)
		require.Greater(t, q.ExceedProbability, 0.95)
		require.True(t, q.ExpectedCost.Amount.Equal(usage.RoundCents(decimal.NewFromFloat(q.ExpectedOverage).Mul(decimal.New(15, -1)))),
			"cost %s for %v GB over", q.ExpectedCost, q.ExpectedOverage)
	})
}

func TestForecastOfAQuotaWithoutOverageOrLimit(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		ctx := context.Background()
		b := newForecastMeter(t, db)
		// The default plan, strict, limits credits to 1,000 a month without overage
		// and does not limit documents. 50 credits a day since February 22: 750 in
		// March by now, 1,550 at the month's end.
		var events []usage.Event
		start := forecastNow.Truncate(24*time.Hour).AddDate(0, 0, -historyDays)
		for d := range historyDays + 1 {
			at := start.AddDate(0, 0, d).Add(12 * time.Hour)
			events = append(events,
				usage.Event{ID: fmt.Sprint("c-", d), Subject: "tight", Metric: "credits", Value: 50, Time: at},
				usage.Event{ID: fmt.Sprint("d-", d), Subject: "tight", Metric: usage.MetricDocuments, Value: 5, Time: at})
		}
		track(t, b.meter, events...)

		fc, err := b.meter.Forecast(ctx, "tight", "credits", usage.ForecastOptions{Thresholds: []float64{75, 100, 150}})
		require.NoError(t, err)
		q := fc.Quota
		require.NotNil(t, q)
		require.False(t, q.AllowOverage)
		require.Equal(t, "750", q.Used.String())
		require.InDelta(t, 1550, q.ExpectedUsage, 10, "the demand, refused past the limit")
		require.InDelta(t, 550, q.ExpectedOverage, 10)
		require.Greater(t, q.ExceedProbability, 0.95)
		require.True(t, q.ExpectedCost.Amount.IsZero(), "refused usage is not billed")
		require.Equal(t, []float64{75, 100, 150}, []float64{q.Crossings[0].Percent, q.Crossings[1].Percent, q.Crossings[2].Percent})
		require.True(t, q.Crossings[0].Already, "750 is 75 %")
		require.True(t, q.Crossings[0].At.IsZero())
		// 1,000 after five more days (March 16 to 20), 1,500 after fifteen.
		today := forecastNow.Truncate(24 * time.Hour)
		require.InDelta(t, 0, q.Crossings[1].At.Sub(today.AddDate(0, 0, 6)).Hours(), 24, "100 %% at %v", q.Crossings[1].At)
		require.InDelta(t, 0, q.Crossings[2].At.Sub(today.AddDate(0, 0, 16)).Hours(), 24, "150 %% at %v", q.Crossings[2].At)

		docs, err := b.meter.Forecast(ctx, "tight", usage.MetricDocuments, usage.ForecastOptions{})
		require.NoError(t, err)
		require.Nil(t, docs.Quota, "no limit, no quota forecast")
		require.InDelta(t, 5, docs.Points[3].Value, 0.5)
		got, err := b.meter.Forecasts(ctx, "tight", usage.MetricDocuments, 0)
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Nil(t, got[0].Quota)
		requireSameForecast(t, docs, got[0])
	})
}

func TestForecastsAreStoredAndListed(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		ctx := context.Background()
		b := newForecastMeter(t, db)
		trackDaily(t, b, "heavy", "America/New_York", heavyRate)
		first, err := b.meter.Forecast(ctx, "heavy", usage.MetricDocuments, usage.ForecastOptions{})
		require.NoError(t, err)
		b.clock.Set(forecastNow.Add(time.Hour))
		second, err := b.meter.Forecast(ctx, "heavy", usage.MetricDocuments, usage.ForecastOptions{Horizon: 10})
		require.NoError(t, err)
		require.Greater(t, second.ID, first.ID)

		got, err := b.meter.Forecasts(ctx, "heavy", usage.MetricDocuments, 0)
		require.NoError(t, err)
		require.Len(t, got, 2)
		requireSameForecast(t, second, got[0])
		requireSameForecast(t, first, got[1])
		got, err = b.meter.Forecasts(ctx, "heavy", usage.MetricDocuments, 1)
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, second.ID, got[0].ID, "the latest")
		got, err = b.meter.Forecasts(ctx, "heavy", usage.MetricAPICalls, 0)
		require.NoError(t, err)
		require.Empty(t, got)
		_, err = b.meter.Forecasts(ctx, "heavy", usage.MetricDocuments, usage.MaxForecastListLimit+1)
		require.ErrorIs(t, err, usage.ErrInvalidEvent)
	})
}

// forecastNow is the time of the forecast tests: noon in New York on a Sunday,
// mid-period; both subjects' clocks changed within the history or the horizon.
var forecastNow = time.Date(2026, 3, 15, 16, 0, 0, 0, time.UTC)

const (
	// historyDays is the number of whole days of usage before today.
	historyDays = 21
	// heavyRate and lightRate are documents a day: above and far below the
	// professional plan's 500 a month.
	heavyRate = 30.0
	lightRate = 3.0
)

// newForecastMeter opens a testMeter whose clock is at forecastNow.
func newForecastMeter(t *testing.T, db testdb.Backend) *testMeter {
	t.Helper()
	b := newMeter(t, db)
	b.clock.Set(forecastNow)
	return b
}

// tracked is what trackDaily tracked, in the subject's time zone.
type tracked struct {
	loc *time.Location
	// today is the start of the current day and periodEnd the end of the period.
	today, periodEnd time.Time
	// used is the period's usage, and todaySoFar today's.
	used, todaySoFar float64
}

// trackDaily assigns subject to the professional plan in zone and tracks historyDays
// days of documents at about rate a day — a third at 9, 13 and 17 o'clock local
// time, the 9 o'clock one off by up to a fifteenth of rate — and today's 9 o'clock
// share.
func trackDaily(t *testing.T, b *testMeter, subject, zone string, rate float64) tracked {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, b.meter.Assign(ctx, usage.Assignment{Subject: subject, Plan: "professional", TimeZone: zone}))
	loc, err := time.LoadLocation(zone)
	require.NoError(t, err)
	local := forecastNow.In(loc)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	periodStart := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, loc)
	out := tracked{loc: loc, today: today, periodEnd: periodStart.AddDate(0, 1, 0)}
	var events []usage.Event
	for d := -historyDays; d <= 0; d++ {
		day := today.AddDate(0, 0, d)
		for i, hour := range []int{9, 13, 17} {
			v := rate / 3
			if i == 0 {
				v += float64((d+historyDays)*7919%5-2) * rate / heavyRate
			}
			at := time.Date(day.Year(), day.Month(), day.Day(), hour, 0, 0, 0, loc)
			if at.After(forecastNow) {
				break
			}
			events = append(events, usage.Event{ID: fmt.Sprint(subject, d, "-", hour), Subject: subject,
				Metric: usage.MetricDocuments, Value: v, Time: at})
			if !at.Before(periodStart) {
				out.used += v
			}
			if d == 0 {
				out.todaySoFar += v
			}
		}
	}
	track(t, b.meter, events...)
	return out
}

// requireSteps checks that a forecast has n contiguous steps from start.
func requireSteps(t *testing.T, fc usage.Forecast, start time.Time, n int) {
	t.Helper()
	require.Len(t, fc.Points, n)
	require.True(t, fc.Points[0].Start.Equal(start), "first step at %v, want %v", fc.Points[0].Start, start)
	for i := 1; i < n; i++ {
		require.True(t, fc.Points[i].Start.Equal(fc.Points[i-1].End), "step %d follows step %d", i, i-1)
	}
}

// requireSameForecast checks that a listed forecast is the one Forecast returned.
func requireSameForecast(t *testing.T, want, got usage.Forecast) {
	t.Helper()
	require.True(t, got.GeneratedAt.Equal(want.GeneratedAt))
	require.Len(t, got.Points, len(want.Points))
	for i := range want.Points {
		require.True(t, got.Points[i].Start.Equal(want.Points[i].Start))
		require.True(t, got.Points[i].End.Equal(want.Points[i].End))
		got.Points[i].Start, got.Points[i].End = want.Points[i].Start, want.Points[i].End
	}
	if want.Quota != nil {
		require.NotNil(t, got.Quota)
		g, w := *got.Quota, *want.Quota
		require.True(t, g.ExpectedCost.Amount.Equal(w.ExpectedCost.Amount))
		require.True(t, g.Period.Start.Equal(w.Period.Start))
		require.True(t, g.Period.End.Equal(w.Period.End))
		g.Crossings = slices.Clone(g.Crossings)
		for i := range w.Crossings {
			require.True(t, g.Crossings[i].At.Equal(w.Crossings[i].At))
			g.Crossings[i].At = w.Crossings[i].At
		}
		g.ExpectedCost, g.Period = w.ExpectedCost, w.Period
		got.Quota = &g
	}
	got.GeneratedAt = want.GeneratedAt
	require.Equal(t, want, got, "every field round-trips")
}
