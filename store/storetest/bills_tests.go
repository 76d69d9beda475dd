package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// billsTests are the contract of bills: ListUnbilled, GetBill and CloseBill.
var billsTests = []test{
	{"ListUnbilledListsEndedPeriodsWithoutABill", listUnbilledListsEndedPeriodsWithoutABill},
	{"GetBillReturnsWhatTheBillIsMadeFrom", getBillReturnsWhatTheBillIsMadeFrom},
	{"CloseBillClosesExactlyOnceAcrossStores", closeBillClosesExactlyOnceAcrossStores},
	{"CloseBillKeepsTheBillOpenWhenDeliverFails", closeBillKeepsTheBillOpenWhenDeliverFails},
	{"CloseBillAndIngestOfAnotherSubject", closeBillAndIngestOfAnotherSubject},
}

// november is the bill of subject's suite period.
func november(subject string) store.BillPeriod {
	return store.BillPeriod{Subject: subject, PeriodStart: periodStart, PeriodEnd: periodEnd}
}

// deliverLines returns a Deliver that records a one-line bill per quota row.
func deliverLines(calls *atomic.Int64) func(context.Context, *store.BillData) (*store.ClosedBill, error) {
	return func(_ context.Context, data *store.BillData) (*store.ClosedBill, error) {
		calls.Add(1)
		cb := &store.ClosedBill{Document: fmt.Appendf(nil, "bill of %s", data.Usage.Quotas[0].Subject)}
		for _, q := range data.Usage.Quotas {
			cb.Lines = append(cb.Lines, store.BillLine{Metric: q.Metric, UsagePeriodStart: q.PeriodStart,
				Used: q.Used, Amount: fmt.Sprintf("%d.50", q.Used/unit), Currency: "EUR"})
		}
		return cb, nil
	}
}

func closeBill(t *testing.T, st store.Store, p store.BillPeriod) *store.CloseBillResult {
	t.Helper()
	var calls atomic.Int64
	res, err := st.CloseBill(context.Background(), &store.CloseBillParams{Period: p, Now: periodEnd, Deliver: deliverLines(&calls)})
	require.NoError(t, err)
	return res
}

func listUnbilled(t *testing.T, st store.Store, endedBy time.Time) []store.BillPeriod {
	t.Helper()
	res, err := st.ListUnbilled(context.Background(), &store.ListUnbilledParams{EndedBy: endedBy})
	require.NoError(t, err)
	for i := range res.Periods {
		require.True(t, res.Periods[i].PeriodStart.Equal(periodStart))
		require.True(t, res.Periods[i].PeriodEnd.Equal(periodEnd))
		res.Periods[i].PeriodStart, res.Periods[i].PeriodEnd = periodStart, periodEnd
	}
	return res.Periods
}

func listUnbilledListsEndedPeriodsWithoutABill(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ingest(t, st,
		ingestEvent("globex", "e1", "credits", 1, store.AggregationSum, 10, false),
		ingestEvent("acme", "e1", "credits", 1, store.AggregationSum, 10, false),
		ingestEvent("acme", "e2", "docs", 1, store.AggregationSum, 10, false))
	require.Empty(t, listUnbilled(t, st, periodEnd.Add(-time.Microsecond)), "a period still running is not listed")
	require.Equal(t, []store.BillPeriod{november("acme"), november("globex")}, listUnbilled(t, st, periodEnd),
		"each subject's ended period once")
	closeBill(t, st, november("acme"))
	require.Equal(t, []store.BillPeriod{november("globex")}, listUnbilled(t, st, periodEnd), "a closed bill is not listed")
}

func getBillReturnsWhatTheBillIsMadeFrom(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ctx := context.Background()
	changePlan(t, st, "acme", "basic", nil)
	ingest(t, st,
		ingestEvent("acme", "e1", "credits", 4, store.AggregationSum, 10, false),
		ingestEvent("acme", "e2", "docs", 2, store.AggregationSum, 10, false))
	spec := ingestEvent("acme", "", "credits", 0, store.AggregationSum, 10, false).Quota
	for range 2 {
		_, err := st.AdjustQuota(ctx, &store.AdjustQuotaParams{Subject: "acme", Metric: "credits", Quota: spec,
			Kind: store.AdjustmentGrant, Amount: 3 * unit, Now: storeNow})
		require.NoError(t, err)
	}
	res, err := st.GetBill(ctx, &store.GetBillParams{Period: november("acme")})
	require.NoError(t, err)
	data := res.Data
	require.Nil(t, data.Closed, "open")
	require.Empty(t, data.Earlier)
	require.Equal(t, "basic", data.Usage.Plan, "the plan in force at the period's end")
	require.True(t, data.Usage.PeriodStart.Equal(periodStart))
	require.True(t, data.Usage.PeriodEnd.Equal(periodEnd))
	require.Equal(t, map[string]int64{"credits": 6 * unit}, data.Usage.Granted)
	used := map[string]int64{}
	for _, q := range data.Usage.Quotas {
		used[q.Metric] = q.Used
	}
	require.Equal(t, map[string]int64{"credits": 4 * unit, "docs": 2 * unit}, used)

	closed := closeBill(t, st, november("acme"))
	require.True(t, closed.Closed)
	res, err = st.GetBill(ctx, &store.GetBillParams{Period: november("acme")})
	require.NoError(t, err)
	require.NotNil(t, res.Data.Closed)
	require.Equal(t, []byte("bill of acme"), res.Data.Closed.Document)
	require.True(t, res.Data.Closed.ClosedAt.Equal(periodEnd))
	require.ElementsMatch(t, closed.Bill.Lines, res.Data.Closed.Lines, "the lines as recorded")
	require.Len(t, res.Data.Usage.Billed, 2, "the period's usage is billed by its own lines")

	// A late event in the billed period shows as an earlier period of the next bill.
	ingest(t, st, ingestEvent("acme", "late", "credits", 1, store.AggregationSum, 10, false))
	next := store.BillPeriod{Subject: "acme", PeriodStart: periodEnd, PeriodEnd: periodEnd.AddDate(0, 1, 0)}
	res, err = st.GetBill(ctx, &store.GetBillParams{Period: next})
	require.NoError(t, err)
	require.Len(t, res.Data.Earlier, 1, "the billed period whose usage changed")
	require.True(t, res.Data.Earlier[0].PeriodStart.Equal(periodStart))
	require.NotEmpty(t, res.Data.Earlier[0].Billed)
}

// closeBillClosesExactlyOnceAcrossStores closes one bill from several stores on one
// database at once, as instances of a host do: one closes it and delivers it once;
// the others find it closed and deliver nothing.
func closeBillClosesExactlyOnceAcrossStores(t *testing.T, h Harness) {
	t.Parallel()
	st, loc := open(t, h)
	ingest(t, st, ingestEvent("acme", "e1", "credits", 4, store.AggregationSum, 10, false))
	const closers = 6
	var calls atomic.Int64
	results := make([]*store.CloseBillResult, closers)
	stores := []store.Store{st}
	for len(stores) < 3 {
		stores = append(stores, openAt(t, h, loc))
	}
	var wg sync.WaitGroup
	for i := range closers {
		wg.Go(func() {
			res, err := stores[i%len(stores)].CloseBill(context.Background(), &store.CloseBillParams{
				Period: november("acme"), Now: periodEnd, Deliver: deliverLines(&calls)})
			if assert.NoError(t, err) {
				results[i] = res
			}
		})
	}
	wg.Wait()
	closed := 0
	for _, r := range results {
		require.NotNil(t, r)
		if r.Closed {
			closed++
		}
	}
	require.Equal(t, 1, closed, "one call closes the bill")
	require.Equal(t, int64(1), calls.Load(), "the bill is delivered once")
	res, err := st.GetBill(context.Background(), &store.GetBillParams{Period: november("acme")})
	require.NoError(t, err)
	require.NotNil(t, res.Data.Closed)
	require.Len(t, res.Data.Closed.Lines, 1)
}

func closeBillKeepsTheBillOpenWhenDeliverFails(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ingest(t, st, ingestEvent("acme", "e1", "credits", 4, store.AggregationSum, 10, false))
	failed := errors.New("delivery failed")
	_, err := st.CloseBill(context.Background(), &store.CloseBillParams{Period: november("acme"), Now: periodEnd,
		Deliver: func(context.Context, *store.BillData) (*store.ClosedBill, error) { return nil, failed }})
	require.ErrorIs(t, err, failed)
	res, err := st.GetBill(context.Background(), &store.GetBillParams{Period: november("acme")})
	require.NoError(t, err)
	require.Nil(t, res.Data.Closed, "nothing is recorded")
	require.Equal(t, []store.BillPeriod{november("acme")}, listUnbilled(t, st, periodEnd), "the bill stays open")
	require.True(t, closeBill(t, st, november("acme")).Closed, "and closes later")
}

// closeBillAndIngestOfAnotherSubject holds a bill's transaction open in Deliver and
// ingests another subject's event meanwhile. With ConcurrentWriters the event is
// stored at once; without, it waits for the bill and is stored after it, without
// failing.
func closeBillAndIngestOfAnotherSubject(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ingest(t, st, ingestEvent("acme", "e1", "credits", 4, store.AggregationSum, 10, false))
	inDeliver, release := make(chan struct{}), make(chan struct{})
	closed := make(chan error, 1)
	go func() {
		_, err := st.CloseBill(context.Background(), &store.CloseBillParams{Period: november("acme"), Now: periodEnd,
			Deliver: func(_ context.Context, data *store.BillData) (*store.ClosedBill, error) {
				select {
				case <-inDeliver:
				default:
					close(inDeliver)
				}
				<-release
				return &store.ClosedBill{Document: []byte("bill")}, nil
			}})
		closed <- err
	}()
	<-inDeliver
	ingested := make(chan error, 1)
	go func() {
		_, err := st.Ingest(context.Background(), &store.IngestParams{Now: storeNow, Events: []store.IngestEvent{
			ingestEvent("globex", "e1", "credits", 1, store.AggregationSum, 10, false)}})
		ingested <- err
	}()
	if h.Features.ConcurrentWriters {
		select {
		case err := <-ingested:
			require.NoError(t, err)
		case <-time.After(30 * time.Second):
			close(release)
			t.Fatal("with ConcurrentWriters, an Ingest of another subject waited for a bill's transaction")
		}
		close(release)
	} else {
		select {
		case err := <-ingested:
			close(release)
			t.Fatalf("without ConcurrentWriters, an Ingest ran beside a bill's transaction (%v): declare ConcurrentWriters", err)
		case <-time.After(300 * time.Millisecond):
		}
		close(release)
		require.NoError(t, <-ingested, "the writer waits for the one in progress and does not fail")
	}
	require.NoError(t, <-closed)
	require.Equal(t, int64(unit), getQuota(t, st, "globex", "credits").Used)
}
