package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/store/sqlite"
)

// TestRun runs the quickstart on a file and reads back what it stored, so the
// README's first command stays true.
func TestRun(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "usage.db")
	require.NoError(t, run(ctx, path))

	st, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	defer st.Close()
	m, err := usage.New(st, &usage.Config{Metrics: usage.ExampleMetrics(), Plans: usage.ExamplePlans()})
	require.NoError(t, err)
	defer m.Close(ctx)

	quotas, err := m.Quotas(ctx, "acme")
	require.NoError(t, err)
	used := map[string]string{}
	for _, q := range quotas {
		used[q.Metric] = q.Used.String()
	}
	require.Equal(t, map[string]string{
		usage.MetricAPICalls:  "42",
		usage.MetricDocuments: "3", // the replay charged nothing, the conflict stored nothing
		usage.MetricStorageGB: "1.25",
		usage.MetricUsers:     "3", // the fourth user was refused
	}, used)
}
