package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/store"
)

// creditLimit is the limit of the "strict" plan's credits: no overage.
const creditLimit = 1000

// suiteConfig is the Meter configuration of the suite: the example catalog, plus a
// "strict" plan (the default) whose credits allow no overage.
func suiteConfig(clock func() time.Time) *usage.Config {
	return &usage.Config{
		Metrics: append(usage.ExampleMetrics(), usage.Metric{Key: "credits", Unit: "credits"}),
		Plans: append(usage.ExamplePlans(), usage.Plan{Key: "strict", Name: "Strict",
			Limits: map[string]usage.Limit{"credits": {Included: creditLimit}}}),
		DefaultPlan: "strict",
		Test:        usage.TestConfig{Time: clock},
	}
}

// clock is a settable time for tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

type meterBundle struct {
	st    store.Store
	meter *usage.Meter
	clock *clock
	loc   string
}

func setupMeter(t *testing.T, h Harness) *meterBundle {
	t.Helper()
	st, loc := open(t, h)
	c := &clock{now: time.Now()}
	m, err := usage.New(st, suiteConfig(c.Now))
	require.NoError(t, err)
	t.Cleanup(func() { m.Close(context.Background()) })
	return &meterBundle{st: st, meter: m, clock: c, loc: loc}
}

func exerciseMeter(t *testing.T, h Harness) {
	ctx := context.Background()

	t.Run("SameEventTrackedConcurrentlyIsStoredAndChargedOnce", func(t *testing.T) {
		t.Parallel()
		b := setupMeter(t, h)
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

	t.Run("ReusedIDWithOtherPayloadConflicts", func(t *testing.T) {
		t.Parallel()
		b := setupMeter(t, h)
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

	t.Run("EveryAcknowledgedEventIsStored", func(t *testing.T) {
		t.Parallel()
		b := setupMeter(t, h)
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

	t.Run("LimitHoldsExactlyUnderConcurrency", func(t *testing.T) {
		t.Parallel()
		b := setupMeter(t, h)
		r := consume(ctx, b.meter, "acme", 64, "local")
		admitted, n := r.admitted, r.count
		require.Equal(t, int64(creditLimit*unit), admitted, "demand exceeds the limit: exactly the limit is admitted")
		q := getQuotaNow(t, b, "acme", "credits")
		require.Equal(t, admitted, q.Used, "stored usage equals the admitted total")
		var sum int64
		events := listEvents(t, b.st, "acme")
		for _, e := range events {
			sum += e.Value
		}
		require.Equal(t, admitted, sum)
		require.Equal(t, n, len(events))
	})

	t.Run("FiveLeftTwoConcurrentRequestsOfThree", func(t *testing.T) {
		t.Parallel()
		b := setupMeter(t, h)
		_, err := b.meter.Track(ctx, usage.Event{Subject: "acme", Metric: "credits", Value: creditLimit - 5})
		require.NoError(t, err)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = b.meter.Track(ctx, usage.Event{Subject: "acme", Metric: "credits", Value: 3})
			})
		}
		wg.Wait()
		ok, refused := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, usage.ErrQuotaExceeded):
				refused++
				var qe *usage.QuotaExceededError
				require.ErrorAs(t, err, &qe)
				require.Equal(t, "998", qe.Used.String())
				require.Equal(t, "3", qe.Requested.String())
			default:
				t.Fatalf("unexpected error: %v", err)
			}
		}
		require.Equal(t, 1, ok)
		require.Equal(t, 1, refused)
		q, err := b.meter.CheckQuota(ctx, "acme", "credits", 3)
		require.NoError(t, err)
		require.False(t, q.Allowed, "3 more would pass the limit")
		require.Equal(t, "2", q.Remaining.String())
		q, err = b.meter.CheckQuota(ctx, "acme", "credits", 2)
		require.NoError(t, err)
		require.True(t, q.Allowed)
		_, err = b.meter.Track(ctx, usage.Event{Subject: "acme", Metric: "credits", Value: creditLimit + 1})
		require.ErrorIs(t, err, usage.ErrQuotaExceeded, "more than the whole limit is refused")
	})

	// A retry after a lost reply, once the limit is reached, is the same event: it
	// replays, and is not refused for the usage its own first attempt added.
	t.Run("RetryAtTheLimitReplays", func(t *testing.T) {
		t.Parallel()
		b := setupMeter(t, h)
		last := usage.Event{ID: "the-last", Subject: "acme", Metric: "credits", Value: 5}
		_, err := b.meter.Track(ctx, usage.Event{Subject: "acme", Metric: "credits", Value: creditLimit - 5})
		require.NoError(t, err)
		first, err := b.meter.Track(ctx, last)
		require.NoError(t, err)
		again, err := b.meter.Track(ctx, last)
		require.NoError(t, err, "a retry of a stored event is not refused")
		require.True(t, again.Replayed)
		require.Equal(t, first.UsedAfter, again.UsedAfter)
		last.Value = 6
		_, err = b.meter.Track(ctx, last)
		require.ErrorIs(t, err, usage.ErrEventConflict, "nor is a reuse of its ID with another payload")
		require.Len(t, listEvents(t, b.st, "acme"), 2)
	})

	t.Run("BadInputIsRefusedAndStoresNothing", func(t *testing.T) {
		t.Parallel()
		b := setupMeter(t, h)
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

	t.Run("TrackBatchRefusesPerEvent", func(t *testing.T) {
		t.Parallel()
		b := setupMeter(t, h)
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

	t.Run("PeriodBoundaryInSubjectTimeZone", func(t *testing.T) {
		t.Parallel()
		b := setupMeter(t, h)
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

	t.Run("AssignmentChangesLimitsAcrossInstances", func(t *testing.T) {
		t.Parallel()
		b := setupMeter(t, h)
		other, err := usage.New(b.st, suiteConfig(b.clock.Now))
		require.NoError(t, err)
		defer other.Close(ctx)
		q, err := other.CheckQuota(ctx, "acme", "credits", 1)
		require.NoError(t, err)
		require.Equal(t, "1000", q.Limit.String(), "the default plan")
		require.NoError(t, b.meter.Assign(ctx, usage.Assignment{Subject: "acme", Plan: "enterprise"}))
		b.clock.Set(b.clock.Now().Add(usage.DefaultAssignmentTTL + time.Second))
		q, err = other.CheckQuota(ctx, "acme", "documents", 1)
		require.NoError(t, err)
		require.Equal(t, "5000", q.Limit.String(), "another instance sees the new plan after the TTL")
		require.ErrorIs(t, b.meter.Assign(ctx, usage.Assignment{Subject: "acme", Plan: "platinum"}), usage.ErrUnknownPlan)
		var ve *usage.ValidationError
		require.ErrorAs(t, b.meter.Assign(ctx, usage.Assignment{Subject: "acme", Plan: "basic", TimeZone: "Mars/Olympus"}), &ve)
	})

	t.Run("CheckQuotaFromMemoryIsBoundedBehindOtherInstances", func(t *testing.T) {
		t.Parallel()
		b := setupMeter(t, h)
		other, err := usage.New(b.st, suiteConfig(b.clock.Now))
		require.NoError(t, err)
		defer other.Close(ctx)
		strictCfg := suiteConfig(b.clock.Now)
		strictCfg.StrictQuotaCheck = true
		strict, err := usage.New(b.st, strictCfg)
		require.NoError(t, err)
		defer strict.Close(ctx)

		used := func(m *usage.Meter) string {
			q, err := m.CheckQuota(ctx, "acme", "credits", 1)
			require.NoError(t, err)
			return q.Used.String()
		}
		require.Equal(t, "0", used(b.meter))
		_, err = b.meter.Track(ctx, usage.Event{Subject: "acme", Metric: "credits", Value: 5})
		require.NoError(t, err)
		require.Equal(t, "5", used(b.meter), "a Meter's own writes show at once")
		require.Equal(t, "5", used(other))

		_, err = other.Track(ctx, usage.Event{Subject: "acme", Metric: "credits", Value: 7})
		require.NoError(t, err)
		require.Equal(t, "12", used(other))
		require.Equal(t, "12", used(strict), "a strict check reads the database")
		require.Equal(t, "5", used(b.meter), "another instance's write may lag behind")
		b.clock.Set(b.clock.Now().Add(usage.DefaultQuotaViewTTL + time.Millisecond))
		require.Equal(t, "12", used(b.meter), "but no longer than QuotaViewTTL")

		// Enforcement never trusts the view: 988 more fits the stale view of this Meter
		// (12 used) but not the database (12.5 used), and is refused.
		_, err = other.Track(ctx, usage.Event{Subject: "acme", Metric: "credits", Value: 0.5})
		require.NoError(t, err)
		_, err = b.meter.Track(ctx, usage.Event{Subject: "acme", Metric: "credits", Value: 988})
		require.ErrorIs(t, err, usage.ErrQuotaExceeded)
	})

	t.Run("ClosedMeterRefuses", func(t *testing.T) {
		t.Parallel()
		b := setupMeter(t, h)
		require.NoError(t, b.meter.Close(ctx))
		_, err := b.meter.Track(ctx, usage.Event{Subject: "acme", Metric: "api_calls", Value: 1})
		require.ErrorIs(t, err, usage.ErrClosed)
	})
}

// consumed is what consume did: the admitted total in micro-units, the number of
// admitted events, and when the first and last attempts were made.
type consumed struct {
	admitted    int64
	count       int
	first, last time.Time
}

// consume has workers goroutines take credits of subject in mixed amounts until the
// quota is full (a one-credit request is refused).
func consume(ctx context.Context, m *usage.Meter, subject string, workers int, tag string) consumed {
	var admitted, count atomic.Int64
	first := time.Now()
	var wg sync.WaitGroup
	amounts := []float64{1, 2, 3, 5, 8}
	for w := range workers {
		wg.Go(func() {
			for i := 0; ; i++ {
				amount := amounts[(w+i)%len(amounts)]
				_, err := m.Track(ctx, usage.Event{ID: fmt.Sprintf("%s-%d-%d", tag, w, i),
					Subject: subject, Metric: "credits", Value: amount})
				switch {
				case err == nil:
					admitted.Add(int64(amount * unit))
					count.Add(1)
				case errors.Is(err, usage.ErrQuotaExceeded) && amount == 1:
					return
				case errors.Is(err, usage.ErrQuotaExceeded):
				default:
					panic(fmt.Sprintf("consume: %v", err))
				}
			}
		})
	}
	wg.Wait()
	return consumed{admitted: admitted.Load(), count: int(count.Load()), first: first, last: time.Now()}
}

func getQuotaNow(t *testing.T, b *meterBundle, subject, metric string) store.Quota {
	t.Helper()
	res, err := b.st.GetQuotas(context.Background(), &store.GetQuotasParams{Subject: subject, Metrics: []string{metric}, At: b.clock.Now()})
	require.NoError(t, err)
	require.Len(t, res.Quotas, 1)
	return res.Quotas[0]
}
