package usage_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
)

// queryDims are the dimensions the usage-query tests' metrics declare, sorted;
// queryDimBound is their bound, small so that values fold into "other".
var queryDims = []string{"region", "route"}

const queryDimBound = 3

// queryMetrics has one metric per aggregation, each declaring queryDims.
func queryMetrics() []usage.Metric {
	var out []usage.Metric
	for _, agg := range []usage.Aggregation{usage.AggregationSum, usage.AggregationCount, usage.AggregationMax,
		usage.AggregationMin, usage.AggregationAvg, usage.AggregationLatest, usage.AggregationUniqueCount} {
		out = append(out, usage.Metric{Key: "q_" + string(agg), Aggregation: agg,
			Dimensions: []string{"route", "region"}, MaxDimensionValues: queryDimBound})
	}
	return out
}

// queryMeter opens a Meter of queryMetrics, every subject on an unlimited plan,
// accepting events up to 120 days late, at now.
func queryMeter(t *testing.T, db testdb.Backend, now time.Time) *usage.Meter {
	t.Helper()
	st, _ := db.OpenNew(t)
	m, err := usage.New(st, &usage.Config{Metrics: queryMetrics(), Plans: []usage.Plan{{Key: "free"}},
		DefaultPlan: "free", MaxLateness: 120 * 24 * time.Hour, Test: usage.TestConfig{Time: func() time.Time { return now }}})
	require.NoError(t, err)
	t.Cleanup(func() { m.Close(context.Background()) })
	return m
}

// rawEvent is an event as the brute force sees it: its stored integer value and
// its dimension values folded as the store must have folded them.
type rawEvent struct {
	subject, metric, user string
	at                    time.Time
	value                 int64
	dims                  map[string]string
}

// bruteFold folds the events' dimension values in the order they are rawEvent: a
// subject's metric keeps a dimension's first queryDimBound values.
func bruteFold(events []usage.Event) []rawEvent {
	kept := map[string][]string{}
	out := make([]rawEvent, len(events))
	for i, e := range events {
		dims := map[string]string{}
		for _, d := range queryDims {
			v := e.Properties[d]
			k := e.Subject + "\x00" + e.Metric + "\x00" + d
			switch {
			case v == "" || slices.Contains(kept[k], v):
			case len(kept[k]) < queryDimBound:
				kept[k] = append(kept[k], v)
			default:
				v = usage.OtherDimensionValue
			}
			dims[d] = v
		}
		out[i] = rawEvent{subject: e.Subject, metric: e.Metric, user: e.User, at: e.Time,
			value: int64(e.Value * 1e6), dims: dims}
	}
	return out
}

// bruteWindows cuts [from, to) where the clock in loc shows a whole hour, midnight
// or midnight on the 1st: found by testing every half hour, not by calendar
// arithmetic, so it checks the Meter's.
func bruteWindows(from, to time.Time, size usage.WindowSize, loc *time.Location) [][2]time.Time {
	bounds := []time.Time{from}
	for t := from.Truncate(30 * time.Minute); t.Before(to); t = t.Add(30 * time.Minute) {
		l := t.In(loc)
		whole := l.Minute() == 0 && l.Second() == 0
		switch size {
		case usage.WindowDay:
			whole = whole && l.Hour() == 0
		case usage.WindowMonth:
			whole = whole && l.Hour() == 0 && l.Day() == 1
		}
		if whole && t.After(from) {
			bounds = append(bounds, t)
		}
	}
	bounds = append(bounds, to)
	out := make([][2]time.Time, len(bounds)-1)
	for i := range out {
		out[i] = [2]time.Time{bounds[i], bounds[i+1]}
	}
	return out
}

// bruteAgg aggregates events as the metric's aggregation does, in micro-units;
// the second result is the event count (distinct values for unique_count).
func bruteAgg(agg usage.Aggregation, events []rawEvent) (int64, int64) {
	var total, lo, hi int64
	var last rawEvent
	users := map[string]bool{}
	for i, e := range events {
		total += e.value
		if i == 0 || e.value < lo {
			lo = e.value
		}
		if i == 0 || e.value > hi {
			hi = e.value
		}
		if i == 0 || !e.at.Before(last.at) {
			last = e
		}
		users[e.subject+"\x00"+e.user] = true
	}
	n := int64(len(events))
	switch agg {
	case usage.AggregationCount:
		return n * unit, n
	case usage.AggregationMax:
		return hi, n
	case usage.AggregationMin:
		return lo, n
	case usage.AggregationAvg:
		return total / n, n
	case usage.AggregationLatest:
		return last.value, n
	case usage.AggregationUniqueCount:
		return int64(len(users)) * unit, int64(len(users))
	}
	return total, n
}

// bruteUsage answers q by reading every event, as "from to|group" → value/events.
func bruteUsage(q usage.UsageQuery, agg usage.Aggregation, events []rawEvent) map[string]string {
	out := map[string]string{}
	for _, w := range bruteWindows(q.From, q.To, q.Window, q.TimeZone) {
		groups := map[string][]rawEvent{}
		for _, e := range events {
			if e.metric != q.Metric || (q.Subject != "" && e.subject != q.Subject) ||
				e.at.Before(w[0]) || !e.at.Before(w[1]) {
				continue
			}
			keep := true
			for d, allowed := range q.Filters {
				keep = keep && slices.Contains(allowed, e.dims[d])
			}
			if !keep {
				continue
			}
			var g []string
			for _, d := range q.GroupBy {
				g = append(g, d+"="+e.dims[d])
			}
			k := strings.Join(g, ",")
			groups[k] = append(groups[k], e)
		}
		if len(groups) == 0 && len(q.GroupBy) == 0 {
			out[fmt.Sprintf("%s %s|", w[0].UTC().Format(time.RFC3339Nano), w[1].UTC().Format(time.RFC3339Nano))] = "0/0"
		}
		for k, es := range groups {
			v, n := bruteAgg(agg, es)
			out[fmt.Sprintf("%s %s|%s", w[0].UTC().Format(time.RFC3339Nano), w[1].UTC().Format(time.RFC3339Nano), k)] =
				fmt.Sprintf("%s/%d", usage.QuantityFromMicros(v), n)
		}
	}
	return out
}

// answered is a usage result in bruteUsage's form.
func answered(res *usage.UsageResult, groupBy []string) map[string]string {
	out := map[string]string{}
	for _, v := range res.Values {
		var g []string
		for _, d := range groupBy {
			g = append(g, d+"="+v.Group[d])
		}
		out[fmt.Sprintf("%s %s|%s", v.From.UTC().Format(time.RFC3339Nano), v.To.UTC().Format(time.RFC3339Nano), strings.Join(g, ","))] =
			fmt.Sprintf("%s/%d", v.Value, v.Events)
	}
	return out
}

// randomEvents returns n events of random metrics, subjects, users, values and
// dimension values (some missing) at distinct random microseconds in [from, to).
func randomEvents(r *rand.Rand, n int, from, to time.Time) []usage.Event {
	metrics := queryMetrics()
	values := []float64{0.25, 1, 2.5, 3, 10, 0.000001, 7.125}
	routes := []string{"/a", "/b", "/c", "/d", "/e", ""}
	regions := []string{"eu", "us", "ap", "sa", ""}
	seen := map[int64]bool{}
	out := make([]usage.Event, 0, n)
	for len(out) < n {
		at := from.Add(time.Duration(r.Int64N(int64(to.Sub(from)/time.Microsecond))) * time.Microsecond)
		if seen[at.UnixMicro()] {
			continue
		}
		seen[at.UnixMicro()] = true
		props := map[string]string{}
		if v := routes[r.IntN(len(routes))]; v != "" {
			props["route"] = v
		}
		if v := regions[r.IntN(len(regions))]; v != "" {
			props["region"] = v
		}
		out = append(out, usage.Event{Subject: fmt.Sprintf("s%d", r.IntN(3)), User: fmt.Sprintf("u%d", r.IntN(6)),
			Metric: metrics[r.IntN(len(metrics))].Key, Value: values[r.IntN(len(values))], Time: at,
			ID: fmt.Sprintf("e%d", len(out)), Properties: props})
	}
	return out
}

// randomQuery returns a usage query of the events' range with random choices.
func randomQuery(r *rand.Rand, from, to time.Time) usage.UsageQuery {
	zones := []string{"Europe/Lisbon", "America/New_York", "Asia/Kolkata", "UTC"}
	loc, _ := time.LoadLocation(zones[r.IntN(len(zones))])
	q := usage.UsageQuery{Metric: queryMetrics()[r.IntN(7)].Key, TimeZone: loc,
		Window: []usage.WindowSize{usage.WindowHour, usage.WindowDay, usage.WindowMonth}[r.IntN(3)]}
	span := to.Sub(from)
	q.From = from.Add(time.Duration(r.Int64N(int64(span / 3))))
	if r.IntN(2) == 0 {
		// Often from a whole hour, so the rollups answer whole windows.
		q.From = q.From.Truncate(time.Hour)
	}
	q.To = q.From.Add(time.Duration(r.Int64N(int64(span/2))) + time.Minute)
	if q.Window == usage.WindowHour {
		q.To = q.From.Add(time.Duration(r.Int64N(int64(10 * 24 * time.Hour))))
	}
	// Stores keep microseconds, and so does a query's range.
	q.From, q.To = q.From.Truncate(time.Microsecond), q.To.Truncate(time.Microsecond)
	if r.IntN(2) == 0 {
		q.Subject = fmt.Sprintf("s%d", r.IntN(3))
	}
	switch r.IntN(4) {
	case 1:
		q.GroupBy = []string{"route"}
	case 2:
		q.GroupBy = []string{"region", "route"}
	case 3:
		q.Filters = map[string][]string{"region": {"eu", usage.OtherDimensionValue, ""}}
	}
	return q
}

func TestUsageEqualsABruteForceAggregationOfTheEvents(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		ctx := context.Background()
		// The range holds the spring clock changes of New York (March 8) and
		// Lisbon (March 29) and three month ends.
		from := time.Date(2026, 1, 25, 0, 0, 0, 0, time.UTC)
		to := time.Date(2026, 4, 12, 0, 0, 0, 0, time.UTC)
		for trial := range 2 {
			seed := uint64(time.Now().UnixNano())
			t.Logf("trial %d: seed %d", trial, seed)
			r := rand.New(rand.NewPCG(seed, uint64(trial)))
			m := queryMeter(t, db, to)
			events := randomEvents(r, 400, from, to)
			for chunk := range slices.Chunk(events, 37) {
				track(t, m, chunk...)
			}
			folded := bruteFold(events)
			aggs := map[string]usage.Aggregation{}
			for _, met := range queryMetrics() {
				aggs[met.Key] = met.Aggregation
			}
			for i := range 60 {
				q := randomQuery(r, from, to)
				res, err := m.Usage(ctx, q)
				require.NoError(t, err)
				require.Equal(t, bruteUsage(q, aggs[q.Metric], folded), answered(res, q.GroupBy),
					"query %d: %s %s window %s zone %s from %s to %s subject %q group %v filters %v",
					i, q.Metric, aggs[q.Metric], q.Window, q.TimeZone, q.From, q.To, q.Subject, q.GroupBy, q.Filters)
			}
		}
	})
}

func TestUsageByDimensionFollowsCorrections(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		ctx := context.Background()
		now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		m := queryMeter(t, db, now)
		at := now.Add(-time.Hour)
		ev := func(id string, v float64, route string) usage.Event {
			return usage.Event{Subject: "acme", ID: id, Metric: "q_sum", Value: v, Time: at, Properties: map[string]string{"route": route}}
		}
		track(t, m, ev("a", 2, "/a"), ev("b", 3, "/a"), ev("c", 5, "/b"))
		_, err := m.Correct(ctx, usage.Correction{Subject: "acme", EventID: "b", Kind: usage.CorrectionVoid, Reason: "test"})
		require.NoError(t, err)
		_, err = m.Correct(ctx, usage.Correction{Subject: "acme", EventID: "c", Kind: usage.CorrectionAmend, Value: 1, Reason: "test"})
		require.NoError(t, err)

		q := usage.UsageQuery{Metric: "q_sum", Subject: "acme", From: at.Truncate(time.Hour), To: now, Window: usage.WindowDay}
		window := q.From.Format(time.RFC3339Nano) + " " + now.Format(time.RFC3339Nano) + "|"
		res, err := m.Usage(ctx, q)
		require.NoError(t, err)
		require.Equal(t, map[string]string{window: "3/2"}, answered(res, nil))
		q.GroupBy = []string{"route"}
		res, err = m.Usage(ctx, q)
		require.NoError(t, err)
		require.Equal(t, map[string]string{window + "route=/a": "2/1", window + "route=/b": "1/1"}, answered(res, q.GroupBy))
	})
}
