package usage_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
)

func TestLimitHoldsExactlyUnderConcurrency(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		ctx := context.Background()
		r := consume(ctx, b.meter, "acme", 64, "local")
		admitted, n := r.admitted, r.count
		require.Equal(t, int64(creditLimit*unit), admitted, "demand exceeds the limit: exactly the limit is admitted")
		q := storedQuota(t, b, "acme", "credits")
		require.Equal(t, admitted, q.Used, "stored usage equals the admitted total")
		var sum int64
		events := listEvents(t, b.st, "acme")
		for _, e := range events {
			sum += e.Value
		}
		require.Equal(t, admitted, sum)
		require.Equal(t, n, len(events))
	})
}

func TestFiveLeftTwoConcurrentRequestsOfThree(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		ctx := context.Background()
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
		require.True(t, q.At.Equal(b.clock.Now()), "the answer is as of the Meter's clock: %s", q.At)
		q, err = b.meter.CheckQuota(ctx, "acme", "credits", 2)
		require.NoError(t, err)
		require.True(t, q.Allowed)
		_, err = b.meter.Track(ctx, usage.Event{Subject: "acme", Metric: "credits", Value: creditLimit + 1})
		require.ErrorIs(t, err, usage.ErrQuotaExceeded, "more than the whole limit is refused")
	})
}

// A retry after a lost reply, once the limit is reached, is the same event: it
// replays, and is not refused for the usage its own first attempt added.
func TestRetryAtTheLimitReplays(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		ctx := context.Background()
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
}

func TestAssignmentChangesLimitsAcrossInstances(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		ctx := context.Background()
		other := b.instance(t, e2eConfig(b.clock.Now))
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
}

func TestCheckQuotaFromMemoryIsBoundedBehindOtherInstances(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		ctx := context.Background()
		other := b.instance(t, e2eConfig(b.clock.Now))
		strictCfg := e2eConfig(b.clock.Now)
		strictCfg.StrictQuotaCheck = true
		strict := b.instance(t, strictCfg)

		used := func(m *usage.Meter) string {
			q, err := m.CheckQuota(ctx, "acme", "credits", 1)
			require.NoError(t, err)
			return q.Used.String()
		}
		require.Equal(t, "0", used(b.meter))
		_, err := b.meter.Track(ctx, usage.Event{Subject: "acme", Metric: "credits", Value: 5})
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
}

func TestGrantsRaiseLimitsAndResetsFreeTheWholeLimit(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		ctx := context.Background()
		professionalMonth(t, b, "acme")
		q, err := b.meter.Grant(ctx, usage.QuotaGrant{Subject: "acme", Metric: usage.MetricAPICalls, Units: 100, Reason: "top-up", Actor: "ops"})
		require.NoError(t, err)
		require.Equal(t, "10100", q.Limit.String())
		q, err = b.meter.ResetQuota(ctx, usage.QuotaReset{Subject: "acme", Metric: usage.MetricDocuments, Reason: "support case 7"})
		require.NoError(t, err)
		require.Equal(t, "520", q.Used.String(), "usage is not deleted")
		require.Equal(t, "500", q.Remaining.String(), "the full limit is available again")
		q, err = b.meter.ResetQuota(ctx, usage.QuotaReset{Subject: "acme", Metric: usage.MetricDocuments, Reason: "again"})
		require.NoError(t, err)
		require.Equal(t, "500", q.Remaining.String(), "a second reset grants nothing more")

		_, err = b.meter.Grant(ctx, usage.QuotaGrant{Subject: "acme", Metric: usage.MetricAPICalls, Units: 0, Reason: "x"})
		require.ErrorIs(t, err, usage.ErrInvalidEvent)
		_, err = b.meter.Grant(ctx, usage.QuotaGrant{Subject: "acme", Metric: usage.MetricAPICalls, Units: 1})
		require.ErrorIs(t, err, usage.ErrInvalidEvent, "a reason is required")
		_, err = b.meter.Grant(ctx, usage.QuotaGrant{Subject: "acme", Metric: "gpu", Units: 1, Reason: "x"})
		require.ErrorIs(t, err, usage.ErrInvalidEvent)

		inv, err := b.meter.Invoice(ctx, "acme", time.Time{})
		require.NoError(t, err)
		requireConsistent(t, inv)
		calls := line(t, inv, usage.MetricAPICalls)
		require.Equal(t, "10100", calls.Included.String())
		requireEUR(t, "0.12", calls.Amount, "150 over: 15 packages at €0.008")
		docs := line(t, inv, usage.MetricDocuments)
		require.Equal(t, "1020", docs.Included.String())
		requireEUR(t, "0.00", docs.Amount)

		// A grant on a strict quota admits more.
		track(t, b.meter, usage.Event{ID: "all", Subject: "strict-co", Metric: "credits", Value: creditLimit})
		_, err = b.meter.Track(ctx, usage.Event{ID: "more", Subject: "strict-co", Metric: "credits", Value: 5})
		require.ErrorIs(t, err, usage.ErrQuotaExceeded)
		_, err = b.meter.Grant(ctx, usage.QuotaGrant{Subject: "strict-co", Metric: "credits", Units: 5, Reason: "top-up"})
		require.NoError(t, err)
		track(t, b.meter, usage.Event{ID: "more", Subject: "strict-co", Metric: "credits", Value: 5})
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
