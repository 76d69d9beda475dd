package usage_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/store"
)

func TestCorrectionsRecomputeUsageAndAreBilledAsAdjustments(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		ctx := context.Background()
		professionalMonth(t, b, "acme")
		correct := func(c usage.Correction) (usage.CorrectionResult, error) {
			c.Subject = "acme"
			if c.Reason == "" {
				c.Reason = "test"
			}
			return b.meter.Correct(ctx, c)
		}
		// Sum: a void subtracts, an amend changes by the difference.
		r, err := correct(usage.Correction{ID: "c1", EventID: "doc-0", Kind: usage.CorrectionVoid, Reason: "duplicate upload"})
		require.NoError(t, err)
		require.Equal(t, "510", r.UsedAfter.String())
		require.Equal(t, "10", r.Previous.String())
		r, err = correct(usage.Correction{ID: "c2", EventID: "doc-1", Kind: usage.CorrectionAmend, Value: 2.5})
		require.NoError(t, err)
		require.Equal(t, "502.5", r.UsedAfter.String())
		r, err = correct(usage.Correction{ID: "c2", EventID: "doc-1", Kind: usage.CorrectionAmend, Value: 2.5})
		require.NoError(t, err)
		require.True(t, r.Replayed, "the same correction again changes nothing")
		require.Equal(t, "502.5", r.UsedAfter.String())
		_, err = correct(usage.Correction{ID: "c2", EventID: "doc-1", Kind: usage.CorrectionAmend, Value: 3})
		require.ErrorIs(t, err, usage.ErrEventConflict)
		_, err = correct(usage.Correction{EventID: "doc-0", Kind: usage.CorrectionVoid})
		require.ErrorIs(t, err, usage.ErrEventVoided)
		_, err = correct(usage.Correction{EventID: "nope", Kind: usage.CorrectionVoid})
		require.ErrorIs(t, err, usage.ErrEventNotFound)
		_, err = correct(usage.Correction{EventID: "doc-2", Kind: usage.CorrectionAmend, Value: -1})
		require.ErrorIs(t, err, usage.ErrInvalidEvent)
		_, err = b.meter.Correct(ctx, usage.Correction{Subject: "acme", EventID: "doc-2", Kind: usage.CorrectionVoid})
		require.ErrorIs(t, err, usage.ErrInvalidEvent, "a reason is required")

		// Max: voiding the peak recomputes the period from its events.
		r, err = correct(usage.Correction{EventID: "disk-1", Kind: usage.CorrectionVoid, Reason: "bad reading"})
		require.NoError(t, err)
		require.Equal(t, "48", r.UsedAfter.String())
		// Unique count: user-0 has three logins; voiding one keeps the seat, all
		// three frees it.
		for i, id := range []string{"login-0", "login-12", "login-24"} {
			r, err = correct(usage.Correction{EventID: id, Kind: usage.CorrectionVoid})
			require.NoError(t, err)
			want := "12"
			if i == 2 {
				want = "11"
			}
			require.Equal(t, want, r.UsedAfter.String(), "after voiding %s", id)
		}
		q, err := b.meter.CheckQuota(ctx, "acme", usage.MetricUsers, 1)
		require.NoError(t, err)
		require.Equal(t, "11", q.Used.String(), "quota follows at once")
		// The seat counts again when user-0 comes back.
		track(t, b.meter, usage.Event{ID: "login-back", Subject: "acme", Metric: usage.MetricUsers, User: "user-0"})
		q, err = b.meter.CheckQuota(ctx, "acme", usage.MetricUsers, 1)
		require.NoError(t, err)
		require.Equal(t, "12", q.Used.String())

		draft, err := b.meter.Invoice(ctx, "acme", time.Time{})
		require.NoError(t, err)
		requireConsistent(t, draft)
		requireEUR(t, "1.00", line(t, draft, usage.MetricDocuments).Amount, "502.5 documents: 2.5 over at €0.40")
		requireEUR(t, "0.00", line(t, draft, usage.MetricStorageGB).Amount, "48 GB after the peak was voided")
		series, err := b.st.Series(ctx, &store.SeriesParams{Subject: "acme", Metric: usage.MetricDocuments,
			From: march(1), To: afterMarch})
		require.NoError(t, err)
		var total int64
		for _, bk := range series.Buckets {
			total += bk.Total
		}
		require.Equal(t, int64(502.5*unit), total, "rollups follow")

		// After March is billed, a correction lands as an adjustment on the next
		// invoice: a credit here.
		b.clock.Set(afterMarch)
		closed, err := b.meter.CloseInvoices(ctx, newSinkLog(), usage.DefaultBillingGrace)
		require.NoError(t, err)
		require.Len(t, closed, 1)
		_, err = correct(usage.Correction{EventID: "doc-2", Kind: usage.CorrectionVoid, Reason: "refund"})
		require.NoError(t, err)
		track(t, b.meter, usage.Event{ID: "april", Subject: "acme", Metric: usage.MetricDocuments, Value: 1})
		b.clock.Set(time.Date(2026, 5, 2, 6, 0, 0, 0, time.UTC))
		closed, err = b.meter.CloseInvoices(ctx, newSinkLog(), usage.DefaultBillingGrace)
		require.NoError(t, err)
		require.Len(t, closed, 1)
		requireConsistent(t, closed[0])
		adj := adjustments(closed[0])
		require.Len(t, adj, 1)
		require.Equal(t, "492.5", adj[0].Used.String())
		requireEUR(t, "-1.00", adj[0].Amount, "March's 2.5 documents over are credited")
		requireEUR(t, "-1.00", closed[0].Total)

		list, err := b.st.ListCorrections(ctx, &store.ListCorrectionsParams{Subject: "acme"})
		require.NoError(t, err)
		require.Len(t, list.Corrections, 7, "every correction is recorded; the events are unchanged")
		require.Equal(t, "duplicate upload", list.Corrections[0].Reason)
		require.Len(t, listEvents(t, b.st, "acme"), 41+52+4+36+1+1)
	})
}

func TestAmendPastLimitWithoutOverageIsRefused(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		ctx := context.Background()
		track(t, b.meter, usage.Event{ID: "a", Subject: "acme", Metric: "credits", Value: 600},
			usage.Event{ID: "b", Subject: "acme", Metric: "credits", Value: 300})
		_, err := b.meter.Correct(ctx, usage.Correction{Subject: "acme", EventID: "b", Kind: usage.CorrectionAmend, Value: 401, Reason: "r"})
		require.ErrorIs(t, err, usage.ErrQuotaExceeded)
		r, err := b.meter.Correct(ctx, usage.Correction{Subject: "acme", EventID: "b", Kind: usage.CorrectionAmend, Value: 400, Reason: "r"})
		require.NoError(t, err)
		require.Equal(t, "1000", r.UsedAfter.String())
	})
}
