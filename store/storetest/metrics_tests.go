package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// metricsTests are the contract of RegisterMetrics.
var metricsTests = []test{
	{"RegisterMetricsKeepsTheFirstScale", registerMetricsKeepsTheFirstScale},
}

func registerMetricsKeepsTheFirstScale(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ctx := context.Background()
	res, err := st.RegisterMetrics(ctx, &store.RegisterMetricsParams{Metrics: []store.MetricScale{
		{Metric: "bytes", Scale: 0}, {Metric: "calls", Scale: 6}}})
	require.NoError(t, err)
	require.Equal(t, []store.MetricScale{{Metric: "bytes", Scale: 0}, {Metric: "calls", Scale: 6}}, res.Stored)
	res, err = st.RegisterMetrics(ctx, &store.RegisterMetricsParams{Metrics: []store.MetricScale{
		{Metric: "calls", Scale: 0}, {Metric: "bytes", Scale: 6}, {Metric: "gb", Scale: 6}}})
	require.NoError(t, err)
	require.Equal(t, []store.MetricScale{{Metric: "calls", Scale: 6}, {Metric: "bytes", Scale: 0}, {Metric: "gb", Scale: 6}},
		res.Stored, "a registered metric keeps its scale; a new one takes the asked one")
	res, err = st.RegisterMetrics(ctx, &store.RegisterMetricsParams{})
	require.NoError(t, err)
	require.Empty(t, res.Stored)
}
