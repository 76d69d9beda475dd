package usage

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
)

// subjectReads counts a store's reads of assignments.
type subjectReads struct {
	store.Store
	one, many atomic.Int64
}

func (s *subjectReads) GetSubject(ctx context.Context, p *store.GetSubjectParams) (*store.GetSubjectResult, error) {
	s.one.Add(1)
	return s.Store.GetSubject(ctx, p)
}

func (s *subjectReads) GetSubjects(ctx context.Context, p *store.GetSubjectsParams) (*store.GetSubjectsResult, error) {
	s.many.Add(1)
	return s.Store.GetSubjects(ctx, p)
}

// TestABatchOverNewSubjectsReadsTheirPlansInOneQuery tracks a batch over many
// subjects never seen, some assigned a plan and the rest on the default one: their
// plans are read in one query, and each event counts against its own plan's limit.
func TestABatchOverNewSubjectsReadsTheirPlansInOneQuery(t *testing.T) {
	t.Parallel()
	db, _ := testdb.SQLite().OpenNew(t)
	st := &subjectReads{Store: db}
	m := newTestMeterOn(t, st, &Config{Metrics: ExampleMetrics(), Plans: ExamplePlans(), DefaultPlan: "basic"})
	ctx := context.Background()
	const subjects = 40
	subject := func(i int) string { return fmt.Sprint("tenant-", i) }
	plan := func(i int) string { return map[bool]string{true: "professional", false: "basic"}[i%4 == 0] }
	for i := 0; i < subjects; i += 4 {
		require.NoError(t, m.Assign(ctx, Assignment{Subject: subject(i), Plan: plan(i)}))
	}
	st.one.Store(0)
	events := make([]Event, subjects)
	for i := range events {
		events[i] = Event{ID: fmt.Sprint("e", i), Subject: subject(i), Metric: MetricAPICalls, Value: 1}
	}
	_, err := m.TrackBatch(ctx, events)
	require.NoError(t, err)
	require.Equal(t, int64(1), st.many.Load(), "queries of many subjects' plans")
	require.Zero(t, st.one.Load(), "queries of one subject's plan")
	limits := map[string]float64{"basic": 1_000, "professional": 10_000}
	for i := range subjects {
		q, err := m.CheckQuota(ctx, subject(i), MetricAPICalls, 1)
		require.NoError(t, err)
		require.Equal(t, limits[plan(i)], q.Limit.Float64(), "limit of %s", subject(i))
		require.Equal(t, 1.0, q.Used.Float64(), "usage of %s", subject(i))
	}
	require.Zero(t, st.one.Load(), "the plans read together are cached")
}

// TestABatchWithASubjectWithoutAPlanIsRefusedAsOneSubjectIs checks that the read of
// many subjects' plans leaves a subject without one to the error of a lookup.
func TestABatchWithASubjectWithoutAPlanIsRefusedAsOneSubjectIs(t *testing.T) {
	t.Parallel()
	st, _ := testdb.SQLite().OpenNew(t)
	m := newTestMeterOn(t, st, &Config{Metrics: ExampleMetrics(), Plans: ExamplePlans()})
	ctx := context.Background()
	require.NoError(t, m.Assign(ctx, Assignment{Subject: "acme", Plan: "basic"}))
	_, err := m.TrackBatch(ctx, []Event{
		{ID: "a", Subject: "acme", Metric: MetricAPICalls, Value: 1},
		{ID: "b", Subject: "globex", Metric: MetricAPICalls, Value: 1},
		{ID: "c", Subject: "initech", Metric: MetricAPICalls, Value: 1},
	})
	require.ErrorIs(t, err, ErrNoPlan)
	require.ErrorContains(t, err, "globex")
}
