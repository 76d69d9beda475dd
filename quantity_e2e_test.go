package usage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
)

func TestTenEventsOfMaxValueOnOneSubjectSumExactly(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		t.Parallel()
		ctx := context.Background()
		tm := newMeter(t, db)
		for i := range 10 {
			_, err := tm.meter.Track(ctx, usage.Event{Subject: "acme", ID: fmt.Sprint(i), Metric: usage.MetricAPICalls, Value: usage.MaxValue})
			require.NoError(t, err, "event %d", i)
		}
		// The last, a millionth, shows the sum is exact to the last digit.
		res, err := tm.meter.Track(ctx, usage.Event{Subject: "acme", ID: "tail", Metric: usage.MetricAPICalls, Value: 0.000001})
		require.NoError(t, err)
		require.Equal(t, "1000000000000.000001", res.UsedAfter.String())
	})
}

// TestAnEventPastTheRangeIsRefusedAloneWithErrOverflow fills a fractional metric's
// period to the edge of its range: the event that would pass it is refused with
// ErrOverflow and not stored, and the other events of its batch, also of another
// subject, are stored.
func TestAnEventPastTheRangeIsRefusedAloneWithErrOverflow(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		t.Parallel()
		ctx := context.Background()
		tm := newMeter(t, db)
		var events []usage.Event
		for i := range 92 { // 9.2 × 10^12 units: the most the int64 of millionths holds
			events = append(events, usage.Event{Subject: "acme", ID: fmt.Sprint(i), Metric: usage.MetricAPICalls, Value: usage.MaxValue})
		}
		events = append(events,
			usage.Event{Subject: "acme", ID: "over", Metric: usage.MetricAPICalls, Value: usage.MaxValue},
			usage.Event{Subject: "globex", ID: "other", Metric: usage.MetricAPICalls, Value: 1})
		res, err := tm.meter.TrackBatch(ctx, events)
		require.NoError(t, err)
		for i, r := range res[:92] {
			require.NoError(t, r.Err, "event %d", i)
		}
		require.ErrorIs(t, res[92].Err, usage.ErrOverflow)
		require.NoError(t, res[93].Err, "another subject's event in the same batch is stored")
		_, err = tm.meter.Track(ctx, events[92])
		require.ErrorIs(t, err, usage.ErrOverflow, "Track refuses it alike")
		require.Len(t, listEvents(t, tm.st, "acme"), 92, "the refused event is not stored")
		q, err := tm.meter.CheckQuota(ctx, "acme", usage.MetricAPICalls, 1)
		require.NoError(t, err)
		require.Equal(t, "9200000000000", q.Used.String())
	})
}

// bytesConfig meters "bytes", in whole units if whole: a petabyte included (a
// terabyte without whole units, the most of which fits), then 2 × 10^-11 per byte
// (€20 per TB).
func bytesConfig(clock func() time.Time, whole bool) *usage.Config {
	included := 1e15
	if !whole {
		included = 1e12
	}
	return &usage.Config{
		Metrics: []usage.Metric{{Key: "bytes", Unit: "B", WholeUnits: whole}},
		Plans: []usage.Plan{{Key: "storage", Limits: map[string]usage.Limit{
			"bytes": {Included: included, Overage: true, Price: usage.PerUnit(decimal.RequireFromString("0.00000000002"))}}}},
		DefaultPlan: "storage",
		Test:        usage.TestConfig{Time: clock},
	}
}

func TestABytesMetricTakesTwoPetabytesInAPeriodAndBillsThemExactly(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		t.Parallel()
		ctx := context.Background()
		st, _ := db.OpenNew(t)
		c := &clock{now: time.Now()}
		m, err := usage.New(st, bytesConfig(c.Now, true))
		require.NoError(t, err)
		t.Cleanup(func() { m.Close(ctx) })

		_, err = m.Track(ctx, usage.Event{Subject: "acme", ID: "half", Metric: "bytes", Value: 0.5})
		require.ErrorIs(t, err, usage.ErrInvalidEvent, "a fraction of a byte is refused")
		for i := range 2 {
			_, err := m.Track(ctx, usage.Event{Subject: "acme", ID: fmt.Sprint(i), Metric: "bytes", Value: 999_999_999_999_999})
			require.NoError(t, err)
		}
		res, err := m.Track(ctx, usage.Event{Subject: "acme", ID: "last", Metric: "bytes", Value: 2})
		require.NoError(t, err)
		require.Equal(t, "2000000000000000", res.UsedAfter.String())
		require.Equal(t, 2e15, res.UsedAfter.Float64())

		inv, err := m.Invoice(ctx, "acme", time.Time{})
		require.NoError(t, err)
		require.Len(t, inv.Lines, 1)
		line := inv.Lines[0]
		require.Equal(t, "2000000000000000", line.Used.String())
		require.Equal(t, "1000000000000000", line.Included.String())
		require.Equal(t, "1000000000000000", line.Over.String())
		require.Equal(t, "20000", line.Amount.Amount.String(), "10^15 bytes at 2 × 10^-11 each")
		require.Equal(t, "20000", inv.Total.Amount.String())
		events, err := m.Events(ctx, usage.EventQuery{Subject: "acme"})
		require.NoError(t, err)
		require.Len(t, events.Events, 3)
		require.Equal(t, float64(999_999_999_999_999), events.Events[0].Value, "whole units round-trip")

		// Corrections and grants count in whole units too.
		cr, err := m.Correct(ctx, usage.Correction{Subject: "acme", EventID: "last", Kind: usage.CorrectionAmend, Value: 1, Reason: "r"})
		require.NoError(t, err)
		require.Equal(t, "2", cr.Previous.String())
		require.Equal(t, "1999999999999999", cr.UsedAfter.String())
		_, err = m.Correct(ctx, usage.Correction{Subject: "acme", EventID: "last", Kind: usage.CorrectionAmend, Value: 1.5, Reason: "r"})
		require.ErrorIs(t, err, usage.ErrInvalidEvent, "a fraction of a byte is refused")
		q, err := m.Grant(ctx, usage.QuotaGrant{Subject: "acme", Metric: "bytes", Units: 5e15, Reason: "r"})
		require.NoError(t, err)
		require.Equal(t, "6000000000000000", q.Limit.String())
		require.Equal(t, "4000000000000001", q.Remaining.String())
	})
}

func TestNewRefusesAConfigThatChangesAStoredMetricsUnits(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		t.Parallel()
		ctx := context.Background()
		st, _ := db.OpenNew(t)
		now := func() time.Time { return time.Now() }
		m, err := usage.New(st, bytesConfig(now, true))
		require.NoError(t, err)
		require.NoError(t, m.Close(ctx))
		_, err = usage.New(st, bytesConfig(now, false))
		require.ErrorContains(t, err, "metric bytes is stored in whole units")
		m, err = usage.New(st, bytesConfig(now, true))
		require.NoError(t, err, "the same units again")
		require.NoError(t, m.Close(ctx))
	})
}
