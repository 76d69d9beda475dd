package usage_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
)

func TestSameEventTrackedConcurrentlyIsStoredAndChargedOnce(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		ctx := context.Background()
		ev := usage.Event{ID: "req-42", Subject: "acme", Metric: "credits", Value: 7,
			Properties: map[string]string{"route": "/v1/convert"}}
		results := make([]usage.TrackResult, 100)
		errs := make([]error, 100)
		var wg sync.WaitGroup
		for i := range results {
			wg.Go(func() { results[i], errs[i] = b.meter.Track(ctx, ev) })
		}
		wg.Wait()
		originals := 0
		for i := range results {
			require.NoError(t, errs[i])
			if !results[i].Replayed {
				originals++
			}
			r := results[i]
			r.Replayed = false
			first := results[0]
			first.Replayed = false
			require.Equal(t, first, r, "every caller gets the same result")
		}
		require.Equal(t, 1, originals, "exactly one call stored the event")
		require.Len(t, listEvents(t, b.st, "acme"), 1)
		q, err := b.meter.CheckQuota(ctx, "acme", "credits", 1)
		require.NoError(t, err)
		require.Equal(t, "7", q.Used.String(), "charged once")
	})
}

func TestReusedIDWithOtherPayloadConflicts(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		ctx := context.Background()
		orig := usage.Event{ID: "e1", Subject: "acme", Metric: "credits", Value: 5}
		_, err := b.meter.Track(ctx, orig)
		require.NoError(t, err)
		changed := orig
		changed.Value = 6
		_, err = b.meter.Track(ctx, changed)
		require.ErrorIs(t, err, usage.ErrEventConflict)
		var ce *usage.ConflictError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, "e1", ce.ID)

		other := orig
		other.Subject = "globex"
		res, err := b.meter.Track(ctx, other)
		require.NoError(t, err)
		require.False(t, res.Replayed, "the same ID under another subject is another event")

		events := listEvents(t, b.st, "acme")
		require.Len(t, events, 1)
		require.Equal(t, int64(5*unit), events[0].Value, "the original is unchanged")
	})
}

func TestEveryAcknowledgedEventIsStored(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		ctx := context.Background()
		const goroutines, perGoroutine = 8, 150
		var acked sync.Map
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				for i := range perGoroutine {
					id := fmt.Sprintf("g%d-%d", g, i)
					_, err := b.meter.Track(ctx, usage.Event{ID: id, Subject: "acme", Metric: "api_calls", Value: 1})
					if assert.NoError(t, err) {
						acked.Store(id, true)
					}
				}
			})
		}
		wg.Wait()
		stored := map[string]bool{}
		for _, e := range listEvents(t, b.st, "acme") {
			stored[e.ID] = true
		}
		n := 0
		acked.Range(func(k, _ any) bool {
			n++
			require.True(t, stored[k.(string)], "acknowledged event %s is stored", k)
			return true
		})
		require.Equal(t, n, len(stored), "stored rows equal acknowledgements")
		require.Equal(t, goroutines*perGoroutine, n)
	})
}

func TestBadInputIsRefusedAndStoresNothing(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		ctx := context.Background()
		now := b.clock.Now()
		ok := usage.Event{Subject: "acme", Metric: "api_calls", Value: 1}
		with := func(f func(*usage.Event)) usage.Event { e := ok; f(&e); return e }
		cases := []struct {
			name  string
			ev    usage.Event
			field string
		}{
			{"NaN", with(func(e *usage.Event) { e.Value = math.NaN() }), "value"},
			{"+Inf", with(func(e *usage.Event) { e.Value = math.Inf(1) }), "value"},
			{"-Inf", with(func(e *usage.Event) { e.Value = math.Inf(-1) }), "value"},
			{"negative counter", with(func(e *usage.Event) { e.Value = -1 }), "value"},
			{"2^63", with(func(e *usage.Event) { e.Value = math.Exp2(63) }), "value"},
			{"empty subject", with(func(e *usage.Event) { e.Subject = "" }), "subject"},
			{"unknown metric", with(func(e *usage.Event) { e.Metric = "gpu_hours" }), "metric"},
			{"invalid UTF-8 subject", with(func(e *usage.Event) { e.Subject = "ac\xffme" }), "subject"},
			{"NUL in subject", with(func(e *usage.Event) { e.Subject = "ac\x00me" }), "subject"},
			{"invalid UTF-8 property", with(func(e *usage.Event) { e.Properties = map[string]string{"k": "\xc3\x28"} }), `properties["k"]`},
			{"oversized properties", with(func(e *usage.Event) { e.Properties = map[string]string{"blob": strings.Repeat("x", 5000)} }), "properties"},
			{"too many properties", with(func(e *usage.Event) {
				e.Properties = map[string]string{}
				for i := range 40 {
					e.Properties[fmt.Sprint("k", i)] = "v"
				}
			}), "properties"},
			{"too old", with(func(e *usage.Event) { e.Time = now.Add(-36 * 24 * time.Hour) }), "time"},
			{"too far ahead", with(func(e *usage.Event) { e.Time = now.Add(time.Hour) }), "time"},
		}
		for _, c := range cases {
			_, err := b.meter.Track(ctx, c.ev)
			require.ErrorIs(t, err, usage.ErrInvalidEvent, c.name)
			var ve *usage.ValidationError
			require.ErrorAs(t, err, &ve, c.name)
			require.Equal(t, c.field, ve.Field, c.name)
		}
		for _, n := range []float64{0, -3, math.NaN(), math.Inf(1)} {
			_, err := b.meter.CheckQuota(ctx, "acme", "api_calls", n)
			require.ErrorIs(t, err, usage.ErrInvalidEvent, "CheckQuota n=%v", n)
		}
		_, err := b.meter.TrackBatch(ctx, []usage.Event{ok, ok, with(func(e *usage.Event) { e.Value = math.NaN() })})
		var ve *usage.ValidationError
		require.ErrorAs(t, err, &ve)
		require.Equal(t, "events[2].value", ve.Field)
		require.Empty(t, listEvents(t, b.st, "acme"), "nothing of a refused input is stored")
	})
}

func TestTrackBatchRefusesPerEvent(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		ctx := context.Background()
		res, err := b.meter.TrackBatch(ctx, []usage.Event{
			{ID: "a", Subject: "acme", Metric: "credits", Value: 600},
			{ID: "b", Subject: "acme", Metric: "credits", Value: 600},
			{ID: "c", Subject: "acme", Metric: "credits", Value: 400},
			{ID: "a", Subject: "acme", Metric: "credits", Value: 1},
		})
		require.NoError(t, err)
		require.NoError(t, res[0].Err)
		require.ErrorIs(t, res[1].Err, usage.ErrQuotaExceeded)
		require.NoError(t, res[2].Err)
		require.ErrorIs(t, res[3].Err, usage.ErrEventConflict)
		require.Equal(t, "1000", res[2].UsedAfter.String())
	})
}

func TestPeriodBoundaryInSubjectTimeZone(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		ctx := context.Background()
		ny, err := time.LoadLocation("America/New_York")
		require.NoError(t, err)
		b.clock.Set(time.Date(2026, 11, 30, 23, 59, 0, 0, ny))
		require.NoError(t, b.meter.Assign(ctx, usage.Assignment{Subject: "acme", Plan: "basic", TimeZone: "America/New_York"}))

		nov, err := b.meter.Track(ctx, usage.Event{Subject: "acme", Metric: "api_calls", Value: 40})
		require.NoError(t, err)
		require.True(t, nov.Period.Start.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, ny)), "23:59 local on Nov 30 is November: %v", nov.Period)
		require.True(t, nov.Period.End.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, ny)))

		// 23:59 in New York is already December in UTC; the subject's zone decides.
		b.clock.Set(time.Date(2026, 12, 1, 0, 0, 1, 0, ny))
		q, err := b.meter.CheckQuota(ctx, "acme", "api_calls", 1)
		require.NoError(t, err)
		require.True(t, q.Used.IsZero(), "a new period starts from zero")
		require.True(t, q.Period.Start.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, ny)))

		dec, err := b.meter.Track(ctx, usage.Event{Subject: "acme", Metric: "api_calls", Value: 2})
		require.NoError(t, err)
		require.Equal(t, "2", dec.UsedAfter.String())

		late, err := b.meter.Track(ctx, usage.Event{Subject: "acme", Metric: "api_calls", Value: 1,
			Time: time.Date(2026, 11, 30, 23, 59, 59, 0, ny)})
		require.NoError(t, err)
		require.Equal(t, "41", late.UsedAfter.String(), "a late event counts in the period of its time")
		require.True(t, late.Period.Start.Equal(nov.Period.Start))
	})
}

func TestClosedMeterRefuses(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		ctx := context.Background()
		require.NoError(t, b.meter.Close(ctx))
		_, err := b.meter.Track(ctx, usage.Event{Subject: "acme", Metric: "api_calls", Value: 1})
		require.ErrorIs(t, err, usage.ErrClosed)
	})
}
