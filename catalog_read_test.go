package usage_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
)

func TestPlansAndMetricsListTheConfigByKeyAsCopies(t *testing.T) {
	st, _ := testdb.SQLite().OpenNew(t)
	m, err := usage.New(st, &usage.Config{Metrics: usage.ExampleMetrics(), Plans: usage.ExamplePlans()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close(t.Context()) })

	plans := m.Plans()
	var keys []string
	for _, p := range plans {
		keys = append(keys, p.Key)
	}
	require.Equal(t, []string{"basic", "enterprise", "professional"}, keys)
	require.Equal(t, 100.0, plans[0].Limits[usage.MetricDocuments].Included)

	plans[0].Limits[usage.MetricDocuments] = usage.Limit{Included: 1}
	require.Equal(t, 100.0, m.Plans()[0].Limits[usage.MetricDocuments].Included, "a caller's change does not reach the Meter")

	metrics := m.Metrics()
	require.Len(t, metrics, 4)
	require.Equal(t, usage.MetricAPICalls, metrics[0].Key)
	require.Equal(t, usage.AggregationUniqueCount, metrics[3].Aggregation)
}

func TestAssignmentOfSaysTheSubjectsPlanAssignedOrByDefault(t *testing.T) {
	st, _ := testdb.SQLite().OpenNew(t)
	m, err := usage.New(st, &usage.Config{Metrics: usage.ExampleMetrics(), Plans: usage.ExamplePlans(), DefaultPlan: "basic"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close(t.Context()) })
	ctx := t.Context()

	require.NoError(t, m.Assign(ctx, usage.Assignment{Subject: "acme", Plan: "professional", TimeZone: "Europe/Lisbon"}))
	a, err := m.AssignmentOf(ctx, "acme")
	require.NoError(t, err)
	require.Equal(t, "professional", a.Plan)
	require.Equal(t, "Europe/Lisbon", a.TimeZone)
	require.Equal(t, usage.CycleCalendar, a.Cycle)

	a, err = m.AssignmentOf(ctx, "newcomer")
	require.NoError(t, err)
	require.Equal(t, "basic", a.Plan)

	_, err = m.AssignmentOf(ctx, "")
	require.ErrorIs(t, err, usage.ErrInvalidInput)
}

func TestAssignmentOfASubjectWithoutPlanIsErrNoPlan(t *testing.T) {
	st, _ := testdb.SQLite().OpenNew(t)
	m, err := usage.New(st, &usage.Config{Metrics: usage.ExampleMetrics(), Plans: usage.ExamplePlans()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close(t.Context()) })
	_, err = m.AssignmentOf(t.Context(), "acme")
	require.ErrorIs(t, err, usage.ErrNoPlan)
}
