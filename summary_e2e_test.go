package usage_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
)

func TestSummaryGivesEveryQuotaAndTheOverageCostSoFar(t *testing.T) {
	eachMeter(t, func(t *testing.T, b *testMeter) {
		ctx := context.Background()
		require.NoError(t, b.meter.Assign(ctx, usage.Assignment{Subject: "acme", Plan: "basic"}))
		track(t, b.meter,
			usage.Event{Subject: "acme", Metric: usage.MetricDocuments, Value: 130}, // 30 over at €0.50
			usage.Event{Subject: "acme", Metric: usage.MetricStorageGB, Value: 7.5}, // 2.5 over at €2.00
			usage.Event{Subject: "acme", Metric: usage.MetricAPICalls, Value: 1015}, // 2 started packages of 10 at €0.01
			usage.Event{Subject: "acme", Metric: usage.MetricUsers, User: "ann"})    // within the 3 seats

		s, err := b.meter.Summary(ctx, "acme")
		require.NoError(t, err)
		require.Equal(t, "basic", s.Plan)
		require.True(t, s.Period.Contains(b.clock.Now()))
		require.Equal(t, "€20.02", s.OverageCost.String())
		costs := map[string]string{}
		for _, q := range s.Quotas {
			costs[q.Metric] = q.OverageCost.String()
		}
		require.Equal(t, map[string]string{usage.MetricDocuments: "€15.00", usage.MetricStorageGB: "€5.00",
			usage.MetricAPICalls: "€0.02", usage.MetricUsers: "€0.00", "credits": "€0.00"}, costs)
		docs := s.Quotas[2] // by metric key: api_calls, credits, documents…
		require.Equal(t, usage.MetricDocuments, docs.Metric)
		require.Equal(t, "130", docs.Used.String())
		require.Equal(t, "100", docs.Limit.String())
		require.Equal(t, "0", docs.Remaining.String())
		require.InDelta(t, 130, docs.Percent, 1e-9)
		// 80, 90 and 100 % of documents, storage and API calls.
		require.EqualValues(t, 9, s.UnacknowledgedAlerts)
	})
}
