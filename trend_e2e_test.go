package usage_test

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
)

// trendMeter opens a Meter of the example catalog whose clock is c, accepting
// events up to 100 days late.
func trendMeter(t *testing.T, db testdb.Backend, c *clock) *usage.Meter {
	t.Helper()
	st, _ := db.OpenNew(t)
	m, err := usage.New(st, &usage.Config{Metrics: usage.ExampleMetrics(), Plans: usage.ExamplePlans(),
		DefaultPlan: "enterprise", MaxLateness: 100 * 24 * time.Hour, Test: usage.TestConfig{Time: c.Now}})
	require.NoError(t, err)
	t.Cleanup(func() { m.Close(context.Background()) })
	return m
}

// dailyCalls tracks n api_calls for acme at noon UTC on each day of [from, to).
func dailyCalls(t *testing.T, m *usage.Meter, from, to time.Time, n float64) {
	t.Helper()
	var events []usage.Event
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		events = append(events, usage.Event{Subject: "acme", Metric: usage.MetricAPICalls, Value: n, Time: d.Add(12 * time.Hour)})
	}
	track(t, m, events...)
}

func TestTrendComparesAMonthWithThePreviousOneWhateverTheirLengths(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		feb := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
		mar := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		apr := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
		c := &clock{now: apr.Add(time.Hour)}
		m := trendMeter(t, db, c)
		dailyCalls(t, m, feb, mar, 1)
		dailyCalls(t, m, mar, apr, 2)

		tr, err := m.Trend(context.Background(), usage.TrendQuery{Subject: "acme", Metric: usage.MetricAPICalls,
			From: mar, To: apr, TimeZone: time.UTC, MovingAverage: 3})
		require.NoError(t, err)
		require.True(t, tr.Previous.Start.Equal(feb) && tr.Previous.End.Equal(mar), "February (28 days) comes before March (31): %s", tr.Previous)
		require.Equal(t, "62", tr.Total.String())
		require.Equal(t, "28", tr.PreviousTotal.String())
		require.True(t, tr.HasChange)
		require.InDelta(t, (62.0-28)/28*100, tr.ChangePercent, 1e-9)
		require.Len(t, tr.Series, 31)
		for _, p := range tr.Series {
			require.Equal(t, "2", p.Value.String())
			require.InDelta(t, 2, p.MovingAverage, 1e-9)
		}
	})
}

func TestTrendOfTheCurrentBillingPeriodComparesWithTheBillingPeriodBefore(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		feb := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
		mar := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		c := &clock{now: time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)}
		m := trendMeter(t, db, c)
		dailyCalls(t, m, feb, mar, 1)
		dailyCalls(t, m, mar, c.Now(), 3)

		tr, err := m.Trend(context.Background(), usage.TrendQuery{Subject: "acme", Metric: usage.MetricAPICalls})
		require.NoError(t, err)
		require.True(t, tr.Period.Start.Equal(mar), "the period is March: %s", tr.Period)
		require.True(t, tr.Previous.Start.Equal(feb) && tr.Previous.End.Equal(mar), "previous %s", tr.Previous)
		require.Len(t, tr.Series, 14, "the series runs to now")
		require.Equal(t, "42", tr.Total.String())
		require.Equal(t, "28", tr.PreviousTotal.String())
		require.InDelta(t, 50, tr.ChangePercent, 1e-9)
	})
}

func TestTrendFindsThePeakDayAndThePeakHourOfAConstructedSeries(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		ny, err := time.LoadLocation("America/New_York")
		require.NoError(t, err)
		// A week across New York's spring clock change (Sunday March 8): one call at
		// 09:00 and one at 14:00 each day, and ten more at 15:00 on Wednesday the 11th.
		from := time.Date(2026, 3, 5, 0, 0, 0, 0, ny)
		to := time.Date(2026, 3, 12, 0, 0, 0, 0, ny)
		c := &clock{now: to.Add(time.Hour)}
		m := trendMeter(t, db, c)
		var events []usage.Event
		for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
			y, mo, day := d.Date()
			events = append(events,
				usage.Event{Subject: "acme", Metric: usage.MetricAPICalls, Value: 1, Time: time.Date(y, mo, day, 9, 0, 0, 0, ny)},
				usage.Event{Subject: "acme", Metric: usage.MetricAPICalls, Value: 1, Time: time.Date(y, mo, day, 14, 0, 0, 0, ny)})
		}
		events = append(events, usage.Event{Subject: "acme", Metric: usage.MetricAPICalls, Value: 10,
			Time: time.Date(2026, 3, 11, 15, 30, 0, 0, ny)})
		track(t, m, events...)

		tr, err := m.Trend(context.Background(), usage.TrendQuery{Subject: "acme", Metric: usage.MetricAPICalls,
			From: from, To: to, TimeZone: ny})
		require.NoError(t, err)
		require.Len(t, tr.Series, 7)
		require.Equal(t, 23*time.Hour, tr.Series[3].To.Sub(tr.Series[3].From), "March 8 has 23 hours in New York")
		require.True(t, tr.Peak.From.Equal(time.Date(2026, 3, 11, 0, 0, 0, 0, ny)), "peak day %s", tr.Peak.From)
		require.Equal(t, "12", tr.Peak.Value.String())
		require.Equal(t, 15, tr.PeakHour)
		require.InDelta(t, 10, tr.HourOfWeek[time.Wednesday][15], 1e-9)
		require.InDelta(t, 1, tr.HourOfWeek[time.Sunday][9], 1e-9)
		require.Zero(t, tr.HourOfWeek[time.Sunday][15])
		require.InDelta(t, (2+2+2+2+2+2+12)/7.0, tr.Series[6].MovingAverage, 1e-9)
	})
}

func TestTrendDaysFoldedFromHoursEqualUsageByDayForEveryAggregation(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		ctx := context.Background()
		from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		to := time.Date(2026, 4, 12, 0, 0, 0, 0, time.UTC)
		m := queryMeter(t, db, to)
		seed := uint64(time.Now().UnixNano())
		t.Logf("seed %d", seed)
		events := randomEvents(rand.New(rand.NewPCG(seed, 0)), 300, from, to)
		track(t, m, events...)
		for _, zone := range []string{"Europe/Lisbon", "America/New_York", "Asia/Kolkata"} {
			loc, err := time.LoadLocation(zone)
			require.NoError(t, err)
			start := time.Date(2026, 3, 3, 0, 0, 0, 0, loc)
			end := time.Date(2026, 4, 3, 0, 0, 0, 0, loc)
			for _, met := range queryMetrics() {
				tr, err := m.Trend(ctx, usage.TrendQuery{Subject: "s1", Metric: met.Key, From: start, To: end, TimeZone: loc})
				require.NoError(t, err)
				res, err := m.Usage(ctx, usage.UsageQuery{Metric: met.Key, Subject: "s1", From: start, To: end, TimeZone: loc})
				require.NoError(t, err)
				require.Len(t, tr.Series, len(res.Values))
				for i, v := range res.Values {
					require.True(t, v.From.Equal(tr.Series[i].From), "%s %s day %d", zone, met.Key, i)
					require.Equal(t, v.Value.String(), tr.Series[i].Value.String(), "%s %s day %d", zone, met.Key, i)
				}
			}
		}
	})
}

// A trend's totals are folded from the hours it reads for its series (the previous
// period's from a window of its own): they must equal Usage over the same periods,
// for every aggregation, in zones whose clocks change within the period.
func TestTrendTotalsEqualUsageOverTheirPeriodsForEveryAggregation(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		ctx := context.Background()
		from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		to := time.Date(2026, 4, 12, 0, 0, 0, 0, time.UTC)
		m := queryMeter(t, db, to)
		seed := uint64(time.Now().UnixNano())
		t.Logf("seed %d", seed)
		track(t, m, randomEvents(rand.New(rand.NewPCG(seed, 0)), 300, from, to)...)
		for _, zone := range []string{"Europe/Lisbon", "America/New_York", "Asia/Kolkata"} {
			loc, err := time.LoadLocation(zone)
			require.NoError(t, err)
			// Both periods lie in March, so a month window of Usage is each one whole.
			start := time.Date(2026, 3, 17, 0, 0, 0, 0, loc)
			end := time.Date(2026, 3, 31, 0, 0, 0, 0, loc)
			for _, met := range queryMetrics() {
				tr, err := m.Trend(ctx, usage.TrendQuery{Subject: "s1", Metric: met.Key, From: start, To: end, TimeZone: loc})
				require.NoError(t, err)
				for _, p := range []struct {
					name   string
					period usage.Period
					total  usage.Quantity
				}{{"total", tr.Period, tr.Total}, {"previous total", tr.Previous, tr.PreviousTotal}} {
					res, err := m.Usage(ctx, usage.UsageQuery{Metric: met.Key, Subject: "s1", From: p.period.Start, To: p.period.End,
						Window: usage.WindowMonth, TimeZone: loc})
					require.NoError(t, err)
					require.Len(t, res.Values, 1)
					require.Equal(t, res.Values[0].Value.String(), p.total.String(), "%s %s %s", zone, met.Key, p.name)
				}
			}
		}
	})
}

// queryCounter counts a store's usage queries.
type queryCounter struct {
	store.Store
	queries atomic.Int64
}

func (c *queryCounter) QueryUsage(ctx context.Context, params *store.UsageQueryParams) (*store.UsageQueryResult, error) {
	c.queries.Add(1)
	return c.Store.QueryUsage(ctx, params)
}

// A trend by day or by hour reads its totals and its series in one store query,
// whatever the aggregation but unique_count, whose distinct values per day do not
// add up from hours.
func TestTrendReadsTheStoreOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		ctx := context.Background()
		now := time.Date(2026, 4, 12, 0, 0, 0, 0, time.UTC)
		st, _ := db.OpenNew(t)
		counter := &queryCounter{Store: st}
		m, err := usage.New(counter, &usage.Config{Metrics: queryMetrics(), Plans: []usage.Plan{{Key: "free"}},
			DefaultPlan: "free", MaxLateness: 120 * 24 * time.Hour, Test: usage.TestConfig{Time: func() time.Time { return now }}})
		require.NoError(t, err)
		t.Cleanup(func() { m.Close(ctx) })
		track(t, m, randomEvents(rand.New(rand.NewPCG(1, 0)), 50, now.AddDate(0, -1, 0), now)...)
		for _, met := range queryMetrics() {
			if met.Aggregation == usage.AggregationUniqueCount {
				continue
			}
			for _, step := range []usage.WindowSize{usage.WindowDay, usage.WindowHour} {
				before := counter.queries.Load()
				tr, err := m.Trend(ctx, usage.TrendQuery{Subject: "s1", Metric: met.Key, Step: step,
					From: now.AddDate(0, 0, -30), To: now, TimeZone: time.UTC})
				require.NoError(t, err)
				require.NotEmpty(t, tr.Series)
				require.Equal(t, int64(1), counter.queries.Load()-before, "%s by %s", met.Key, step)
			}
		}
	})
}
