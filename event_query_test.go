package usage

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store/sqlite"
)

// sqliteMeter returns a Meter over a fresh SQLite file, whose clock stands at now,
// with the example catalog and everyone on the professional plan.
func sqliteMeter(t *testing.T, now time.Time) *Meter {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "usage.db"))
	require.NoError(t, err)
	m, err := New(st, &Config{Metrics: ExampleMetrics(), Plans: ExamplePlans(), DefaultPlan: "enterprise",
		Test: TestConfig{Time: func() time.Time { return now }}})
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, m.Close(ctx))
		require.NoError(t, st.Close())
	})
	return m
}

func TestEventsPagesThroughASubjectsEventsInStorageOrder(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	m := sqliteMeter(t, now)
	for i := range 5 {
		_, err := m.Track(ctx, Event{Subject: "acme", Metric: MetricAPICalls, Value: float64(i + 1), ID: fmt.Sprint("e", i)})
		require.NoError(t, err)
	}
	_, err := m.Track(ctx, Event{Subject: "other", Metric: MetricAPICalls, Value: 1, ID: "x"})
	require.NoError(t, err)

	var ids []string
	q := EventQuery{Subject: "acme", Limit: 2}
	for pages := 0; ; pages++ {
		require.Less(t, pages, 5, "the listing ends")
		page, err := m.Events(ctx, q)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page.Events), 2)
		for _, e := range page.Events {
			require.Equal(t, "acme", e.Subject)
			ids = append(ids, e.ID)
		}
		if !page.More {
			break
		}
		q.After = page.Next
	}
	require.Equal(t, []string{"e0", "e1", "e2", "e3", "e4"}, ids)
}

func TestEventsFiltersByMetricAndTime(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	m := sqliteMeter(t, now)
	track := func(id, metric string, at time.Time) {
		t.Helper()
		_, err := m.Track(ctx, Event{Subject: "acme", Metric: metric, Value: 1, ID: id, Time: at, User: "u"})
		require.NoError(t, err)
	}
	track("old", MetricAPICalls, now.Add(-3*time.Hour))
	track("doc", MetricDocuments, now.Add(-2*time.Hour))
	track("mid", MetricAPICalls, now.Add(-2*time.Hour))
	track("new", MetricAPICalls, now)

	page, err := m.Events(ctx, EventQuery{Subject: "acme", Metric: MetricAPICalls,
		From: now.Add(-150 * time.Minute), To: now})
	require.NoError(t, err)
	require.False(t, page.More)
	require.Len(t, page.Events, 1)
	require.Equal(t, "mid", page.Events[0].ID)
	require.Equal(t, 1.0, page.Events[0].Value)

	// A selective filter over small pages still finds every match.
	var ids []string
	q := EventQuery{Subject: "acme", Metric: MetricAPICalls, Limit: 1}
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10, "the listing ends")
		page, err := m.Events(ctx, q)
		require.NoError(t, err)
		for _, e := range page.Events {
			ids = append(ids, e.ID)
		}
		if !page.More {
			break
		}
		q.After = page.Next
	}
	require.Equal(t, []string{"old", "mid", "new"}, ids)
}

func TestEventsRefusesBadQueries(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	m := sqliteMeter(t, now)
	for _, tt := range []struct {
		q     EventQuery
		field string
	}{
		{EventQuery{}, "subject"},
		{EventQuery{Subject: "acme", Metric: "nope"}, "metric"},
		{EventQuery{Subject: "acme", Limit: MaxPageSize + 1}, "limit"},
		{EventQuery{Subject: "acme", Limit: -1}, "limit"},
		{EventQuery{Subject: "acme", After: -1}, "after"},
		{EventQuery{Subject: "acme", From: now, To: now}, "to"},
	} {
		_, err := m.Events(context.Background(), tt.q)
		var ve *ValidationError
		require.ErrorAs(t, err, &ve, "%+v", tt.q)
		require.Equal(t, tt.field, ve.Field)
	}
}

func TestCorrectionsListsASubjectsCorrectionsInOrder(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	m := sqliteMeter(t, now)
	for i := range 3 {
		_, err := m.Track(ctx, Event{Subject: "acme", Metric: MetricAPICalls, Value: 10, ID: fmt.Sprint("e", i)})
		require.NoError(t, err)
	}
	_, err := m.Correct(ctx, Correction{ID: "c0", Subject: "acme", EventID: "e0", Kind: CorrectionAmend, Value: 4, Reason: "double count"})
	require.NoError(t, err)
	_, err = m.Correct(ctx, Correction{ID: "c1", Subject: "acme", EventID: "e1", Kind: CorrectionVoid, Reason: "test traffic", Actor: "ops"})
	require.NoError(t, err)

	page, err := m.Corrections(ctx, "acme", 0, 1)
	require.NoError(t, err)
	require.True(t, page.More)
	require.Len(t, page.Corrections, 1)
	c := page.Corrections[0]
	require.Equal(t, Correction{ID: "c0", Subject: "acme", EventID: "e0", Kind: CorrectionAmend, Value: 4, Reason: "double count"}, c.Correction)
	require.Equal(t, MetricAPICalls, c.Metric)
	require.Equal(t, "10", c.Previous.String())

	page, err = m.Corrections(ctx, "acme", page.Next, 0)
	require.NoError(t, err)
	require.False(t, page.More)
	require.Len(t, page.Corrections, 1)
	require.Equal(t, "c1", page.Corrections[0].Correction.ID)
	require.Equal(t, "ops", page.Corrections[0].Correction.Actor)

	none, err := m.Corrections(ctx, "other", 0, 0)
	require.NoError(t, err)
	require.Empty(t, none.Corrections)
	require.False(t, none.More)

	_, err = m.Corrections(ctx, "acme", 0, MaxPageSize+1)
	require.ErrorIs(t, err, ErrInvalidEvent)
}
