package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRunPrintsTheInstrumentsAsPrometheusMetrics runs the example and reads the
// scraped counts of what it did.
func TestRunPrintsTheInstrumentsAsPrometheusMetrics(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, ""))
	text := out.String()
	for _, line := range []string{
		`usage_events_tracked_total{otel_scope_name="github.com/usagekit/usage",otel_scope_schema_url="",otel_scope_version=""} 23`,
		`usage_events_replayed_total{otel_scope_name="github.com/usagekit/usage",otel_scope_schema_url="",otel_scope_version=""} 1`,
		`usage_events_refused_total{otel_scope_name="github.com/usagekit/usage",otel_scope_schema_url="",otel_scope_version="",reason="quota"} 1`,
	} {
		require.Contains(t, text, line)
	}
	require.Contains(t, text, "usage_commit_duration_seconds_bucket")
	require.Contains(t, text, `usage_maintenance_runs_total{job="retention"`)
}
