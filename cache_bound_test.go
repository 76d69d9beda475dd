package usage

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
)

// TestAMetersMemoryStaysAtItsCacheSizesWhateverTheSubjects tracks for and checks
// the quotas of many more subjects than the Meter's caches hold: the caches stay at
// their bounds, and a subject that was dropped is read back as the store has it.
func TestAMetersMemoryStaysAtItsCacheSizesWhateverTheSubjects(t *testing.T) {
	t.Parallel()
	st, _ := testdb.SQLite().OpenNew(t)
	const bound, subjects = 8, 200
	m := newTestMeterOn(t, st, &Config{Metrics: ExampleMetrics(), Plans: ExamplePlans(), DefaultPlan: "basic",
		AssignmentCacheSize: bound, QuotaCacheSize: bound})
	ctx := context.Background()
	subject := func(i int) string { return fmt.Sprint("tenant-", i) }
	for round := range 2 {
		for i := range subjects {
			_, err := m.Track(ctx, Event{ID: fmt.Sprint(round, "-", i), Subject: subject(i), Metric: MetricAPICalls, Value: float64(i + 1)})
			require.NoError(t, err)
			q, err := m.CheckQuota(ctx, subject(i), MetricAPICalls, 1)
			require.NoError(t, err)
			require.Equal(t, float64((round+1)*(i+1)), q.Used.Float64(), "usage of %s", subject(i))
			require.LessOrEqual(t, m.assignments.Len(), bound, "assignments held")
			require.LessOrEqual(t, m.view.Len(), bound, "quota rows held")
		}
	}
	require.Equal(t, bound, m.assignments.Len())
	require.Equal(t, bound, m.view.Len())
}

// newTestMeterOn is a Meter with cfg on st, closed when the test ends.
func newTestMeterOn(t *testing.T, st store.Store, cfg *Config) *Meter {
	t.Helper()
	m, err := New(st, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, m.Close(context.Background())) })
	return m
}

// TestSubjectsOnTheDefaultPlanShareTheirTerms resolves subjects without an
// assignment of their own: each is kept with its own name and expiry around one
// set of terms, so that the assignment cache holds many of them for little more
// than their keys; a subject assigned other terms keeps its own.
func TestSubjectsOnTheDefaultPlanShareTheirTerms(t *testing.T) {
	t.Parallel()
	st, _ := testdb.SQLite().OpenNew(t)
	m := newTestMeterOn(t, st, &Config{Metrics: ExampleMetrics(), Plans: ExamplePlans(), DefaultPlan: "basic"})
	ctx := context.Background()
	require.NoError(t, m.Assign(ctx, Assignment{Subject: "lisbon", Plan: "basic", TimeZone: "Europe/Lisbon"}))
	resolve := func(subject string) *resolved {
		r, err := m.resolve(ctx, "test", subject, m.now())
		require.NoError(t, err)
		require.Equal(t, subject, r.Subject)
		return r
	}
	acme, globex, lisbon := resolve("acme"), resolve("globex"), resolve("lisbon")
	require.Same(t, acme.terms, globex.terms, "subjects on the DefaultPlan share its terms")
	require.NotSame(t, acme, globex)
	require.NotSame(t, acme.terms, lisbon.terms, "another time zone has terms of its own")
	require.Equal(t, "Europe/Lisbon", lisbon.TimeZone)
	require.Equal(t, "UTC", acme.TimeZone)
}
