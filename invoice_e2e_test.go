package usage_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
)

// sinkLog is a BillingSink that records what it receives and can be told to fail.
type sinkLog struct {
	mu        sync.Mutex
	delivered map[string]int
	invoices  []usage.Invoice
	fail      func(usage.Invoice) error
}

func newSinkLog() *sinkLog { return &sinkLog{delivered: map[string]int{}} }

func (s *sinkLog) DeliverInvoice(_ context.Context, inv usage.Invoice) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		if err := s.fail(inv); err != nil {
			return err
		}
	}
	s.delivered[inv.ID]++
	s.invoices = append(s.invoices, inv)
	return nil
}

func (s *sinkLog) count(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delivered[id]
}

// line returns the invoice's own (not adjustment) line for metric.
func line(t *testing.T, inv usage.Invoice, metric string) usage.LineItem {
	t.Helper()
	for _, l := range inv.Lines {
		if l.Metric == metric && !l.Adjustment {
			return l
		}
	}
	t.Fatalf("invoice %s has no line for %s", inv.ID, metric)
	return usage.LineItem{}
}

// adjustments returns the invoice's adjustment lines, for earlier periods.
func adjustments(inv usage.Invoice) []usage.LineItem {
	var out []usage.LineItem
	for _, l := range inv.Lines {
		if l.Adjustment {
			out = append(out, l)
		}
	}
	return out
}

// requireEUR checks an amount of euros exactly.
func requireEUR(t *testing.T, want string, got usage.Money, msgAndArgs ...any) {
	t.Helper()
	require.Equal(t, "EUR", got.Currency, msgAndArgs...)
	require.True(t, decimal.RequireFromString(want).Equal(got.Amount), "want €%s, got %s %v", want, got, msgAndArgs)
}

// requireConsistent checks what holds for every invoice: the lines sum to the total,
// amounts are in cents, and overage is never negative.
func requireConsistent(t *testing.T, inv usage.Invoice) {
	t.Helper()
	sum := decimal.Zero
	for _, l := range inv.Lines {
		require.Equal(t, inv.Currency, l.Amount.Currency)
		require.True(t, l.Amount.Amount.Equal(usage.RoundCents(l.Amount.Amount)), "%s: %s is in cents", l.Metric, l.Amount)
		require.GreaterOrEqual(t, l.Over.Micros(), int64(0), "%s: overage is never negative", l.Metric)
		if !l.Adjustment {
			require.GreaterOrEqual(t, l.Amount.Amount.Sign(), 0, "%s: no negative charge", l.Metric)
		}
		sum = sum.Add(l.Amount.Amount)
	}
	require.True(t, sum.Equal(inv.Total.Amount), "lines sum to %s, total is %s", sum, inv.Total)
}

func TestInvoiceOfTheExampleCatalogIsExactAndDeliveredOnce(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		ctx := context.Background()
		professionalMonth(t, b, "acme")
		draft, err := b.meter.Invoice(ctx, "acme", time.Time{})
		require.NoError(t, err)
		require.False(t, draft.Closed)
		requireConsistent(t, draft)
		want := []struct{ metric, included, used, over, amount string }{
			{usage.MetricAPICalls, "10000", "10250", "250", "0.20"},
			{usage.MetricDocuments, "500", "520", "20", "8.00"},
			{usage.MetricStorageGB, "50", "52.5", "2.5", "3.75"},
			{usage.MetricUsers, "10", "12", "2", "10.00"},
		}
		require.Len(t, draft.Lines, len(want))
		for i, w := range want {
			l := draft.Lines[i]
			require.Equal(t, w.metric, l.Metric)
			require.Equal(t, w.included, l.Included.String(), w.metric)
			require.Equal(t, w.used, l.Used.String(), w.metric)
			require.Equal(t, w.over, l.Over.String(), w.metric)
			requireEUR(t, w.amount, l.Amount, w.metric)
		}
		requireEUR(t, "21.95", draft.Total)
		require.Equal(t, "€21.95", draft.Total.String())

		b.clock.Set(afterMarch.Add(-usage.DefaultBillingGrace - time.Hour))
		sink := newSinkLog()
		closed, err := b.meter.CloseInvoices(ctx, sink, usage.DefaultBillingGrace)
		require.NoError(t, err)
		require.Empty(t, closed, "nothing closes during the grace period")

		b.clock.Set(afterMarch)
		closed, err = b.meter.CloseInvoices(ctx, sink, usage.DefaultBillingGrace)
		require.NoError(t, err)
		require.Len(t, closed, 1)
		require.Equal(t, 1, sink.count(draft.ID))
		inv := closed[0]
		require.True(t, inv.Closed)
		requireEUR(t, "21.95", inv.Total)

		again, err := b.meter.Invoice(ctx, "acme", march(15))
		require.NoError(t, err)
		require.True(t, again.Closed, "the closed invoice, as delivered")
		requireEUR(t, "21.95", again.Total)
		require.Equal(t, "52.5", line(t, again, usage.MetricStorageGB).Used.String())
		require.Equal(t, "€0.008 per 10", line(t, again, usage.MetricAPICalls).Price.String())

		closed, err = b.meter.CloseInvoices(ctx, sink, usage.DefaultBillingGrace)
		require.NoError(t, err)
		require.Empty(t, closed)
		require.Equal(t, 1, sink.count(draft.ID), "delivered once")
	})
}

func TestEveryAggregationIsMeteredAndBilled(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		ctx := context.Background()
		st, _ := db.OpenNew(t)
		c := &clock{now: march(1)}
		price := usage.PerUnit(decimal.New(10, -2)) // €0.10 per unit over
		limit := usage.Limit{Included: 10, Overage: true, Price: price}
		aggs := []usage.Aggregation{usage.AggregationSum, usage.AggregationCount, usage.AggregationMax,
			usage.AggregationMin, usage.AggregationAvg, usage.AggregationLatest, usage.AggregationUniqueCount}
		cfg := &usage.Config{Plans: []usage.Plan{{Key: "all", Limits: map[string]usage.Limit{}}}, DefaultPlan: "all",
			Test: usage.TestConfig{Time: c.Now}}
		for _, a := range aggs {
			cfg.Metrics = append(cfg.Metrics, usage.Metric{Key: string(a), Aggregation: a})
			cfg.Plans[0].Limits[string(a)] = limit
		}
		m, err := usage.New(st, cfg)
		require.NoError(t, err)
		defer m.Close(ctx)

		// 300 events: values 1..300 at increasing times, but the largest time carries
		// 17; users cycle through 40 names.
		var events []usage.Event
		for _, a := range aggs {
			for i := range 300 {
				v := float64(i + 1)
				at := march(1).Add(time.Duration(i) * time.Minute)
				if i == 150 {
					v, at = 17, march(1).Add(10*time.Hour)
				}
				events = append(events, usage.Event{ID: fmt.Sprint(a, i), Subject: "acme", Metric: string(a),
					Value: v, Time: at, User: fmt.Sprint("user-", i%40)})
			}
		}
		c.Set(march(2))
		track(t, m, events...)
		// Values: 1..300 with 151 replaced by 17: sum 45150 - 151 + 17 = 45016.
		want := map[usage.Aggregation]struct{ used, over, amount string }{
			usage.AggregationSum:         {"45016", "45006", "4500.60"},
			usage.AggregationCount:       {"300", "290", "29.00"},
			usage.AggregationMax:         {"300", "290", "29.00"},
			usage.AggregationMin:         {"1", "0", "0.00"},
			usage.AggregationAvg:         {"150.053333", "140.053333", "14.01"},
			usage.AggregationLatest:      {"17", "7", "0.70"},
			usage.AggregationUniqueCount: {"40", "30", "3.00"},
		}
		for _, pass := range []string{"draft", "closed"} {
			var inv usage.Invoice
			if pass == "draft" {
				inv, err = m.Invoice(ctx, "acme", time.Time{})
				require.NoError(t, err)
			} else {
				c.Set(afterMarch)
				closed, err := m.CloseInvoices(ctx, newSinkLog(), usage.DefaultBillingGrace)
				require.NoError(t, err)
				require.Len(t, closed, 1)
				inv = closed[0]
			}
			requireConsistent(t, inv)
			for _, a := range aggs {
				l := line(t, inv, string(a))
				require.Equal(t, a, l.Aggregation)
				require.Equal(t, want[a].used, l.Used.String(), "%s %s used", pass, a)
				require.Equal(t, want[a].over, l.Over.String(), "%s %s over", pass, a)
				requireEUR(t, want[a].amount, l.Amount, "%s %s", pass, a)
			}
		}
	})
}

func TestInvoicesAreDeliveredExactlyOnceAcrossInstances(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		ctx := context.Background()
		loc := db.NewDatabase(t)
		c := &clock{now: march(1)}
		const instances, subjects = 3, 6
		meters := make([]*usage.Meter, instances)
		for i := range meters {
			m, err := usage.New(db.OpenAt(t, loc), e2eConfig(c.Now))
			require.NoError(t, err)
			defer m.Close(ctx)
			meters[i] = m
		}
		for s := range subjects {
			subject := fmt.Sprint("tenant-", s)
			require.NoError(t, meters[s%instances].Assign(ctx, usage.Assignment{Subject: subject, Plan: "basic"}))
			track(t, meters[s%instances], usage.Event{ID: "d", Subject: subject, Metric: usage.MetricDocuments, Value: float64(101 + s)})
		}
		c.Set(afterMarch)
		sink := newSinkLog()
		// In the first round tenant-0's deliveries fail: its invoice stays open for a
		// later call.
		sink.fail = func(inv usage.Invoice) error {
			if inv.Subject == "tenant-0" {
				return errors.New("payment provider unavailable")
			}
			return nil
		}
		for round := range 2 {
			start := make(chan struct{})
			results := make([][]usage.Invoice, instances)
			errs := make([]error, instances)
			var wg sync.WaitGroup
			for i, m := range meters {
				wg.Go(func() {
					<-start
					results[i], errs[i] = m.CloseInvoices(ctx, sink, usage.DefaultBillingGrace)
				})
			}
			close(start)
			wg.Wait()
			closed := 0
			for i := range results {
				closed += len(results[i])
			}
			if round == 0 {
				require.Equal(t, subjects-1, closed, "every invoice but the failed one closes once")
				require.Error(t, errors.Join(errs...), "the sink's failure is reported")
				sink.mu.Lock()
				sink.fail = nil
				sink.mu.Unlock()
			} else {
				require.Equal(t, 1, closed, "the failed invoice closes on a later call")
			}
		}
		for s := range subjects {
			id := fmt.Sprintf("tenant-%d/2026-03-01T00:00:00Z", s)
			require.Equal(t, 1, sink.count(id), "%s delivered exactly once", id)
			inv, err := meters[0].Invoice(ctx, fmt.Sprint("tenant-", s), march(1))
			require.NoError(t, err)
			require.True(t, inv.Closed)
			requireEUR(t, decimal.New(50*int64(1+s), -2).StringFixed(2), inv.Total, "%d documents over at €0.50", 1+s)
		}
		closed, err := meters[1].CloseInvoices(ctx, sink, usage.DefaultBillingGrace)
		require.NoError(t, err)
		require.Empty(t, closed)
	})
}

func TestInvoicePeriodsFollowTimeZonesAndDST(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		ctx := context.Background()
		cases := []struct {
			zone   string
			cycle  usage.Cycle
			anchor string // local date
			at     string // local time of the event
			start  string // local period bounds
			end    string
		}{
			// Spring forward inside the period: the period is 743 hours, not 744.
			{"Europe/Lisbon", usage.CycleCalendar, "2026-01-10", "2026-03-31 23:30", "2026-03-01", "2026-04-01"},
			{"America/New_York", usage.CycleCalendar, "2026-01-10", "2026-03-08 03:30", "2026-03-01", "2026-04-01"},
			// Fall back: the period is 745 hours in New York and Lisbon.
			{"America/New_York", usage.CycleCalendar, "2026-01-10", "2026-10-31 23:59", "2026-10-01", "2026-11-01"},
			{"Europe/Lisbon", usage.CycleCalendar, "2026-01-10", "2026-10-25 01:30", "2026-10-01", "2026-11-01"},
			// Anniversary anchors late in the month, leap and common years.
			{"UTC", usage.CycleAnniversary, "2028-01-31", "2028-02-29 12:00", "2028-02-29", "2028-03-31"},
			{"UTC", usage.CycleAnniversary, "2027-01-31", "2027-03-30 12:00", "2027-02-28", "2027-03-31"},
			{"Europe/Lisbon", usage.CycleAnniversary, "2027-12-29", "2028-02-29 00:00", "2028-02-29", "2028-03-29"},
			{"America/New_York", usage.CycleAnniversary, "2026-01-30", "2026-03-29 23:59", "2026-02-28", "2026-03-30"},
		}
		for i, tc := range cases {
			t.Run(fmt.Sprint(i, "-", tc.zone, "-", tc.cycle), func(t *testing.T) {
				b := newMeter(t, db)
				loc, err := time.LoadLocation(tc.zone)
				require.NoError(t, err)
				parse := func(layout, s string) time.Time {
					v, err := time.ParseInLocation(layout, s, loc)
					require.NoError(t, err)
					return v
				}
				at := parse("2006-01-02 15:04", tc.at)
				b.clock.Set(at)
				require.NoError(t, b.meter.Assign(ctx, usage.Assignment{Subject: "acme", Plan: "basic",
					Cycle: tc.cycle, Anchor: parse("2006-01-02", tc.anchor), TimeZone: tc.zone}))
				track(t, b.meter, usage.Event{ID: "e", Subject: "acme", Metric: usage.MetricDocuments, Value: 101})
				start, end := parse("2006-01-02", tc.start), parse("2006-01-02", tc.end)
				b.clock.Set(end.Add(usage.DefaultBillingGrace).Add(-time.Microsecond))
				closed, err := b.meter.CloseInvoices(ctx, newSinkLog(), usage.DefaultBillingGrace)
				require.NoError(t, err)
				require.Empty(t, closed, "not before the grace period is over")
				b.clock.Set(end.Add(usage.DefaultBillingGrace))
				closed, err = b.meter.CloseInvoices(ctx, newSinkLog(), usage.DefaultBillingGrace)
				require.NoError(t, err)
				require.Len(t, closed, 1)
				inv := closed[0]
				require.True(t, inv.Period.Start.Equal(start), "start %v, want %v", inv.Period.Start, start)
				require.True(t, inv.Period.End.Equal(end), "end %v, want %v", inv.Period.End, end)
				require.Equal(t, tc.zone, inv.Period.Start.Location().String())
				requireEUR(t, "0.50", inv.Total)
			})
		}
	})
}
