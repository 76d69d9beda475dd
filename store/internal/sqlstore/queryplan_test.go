package sqlstore_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
)

// The reads of a series' events on large tables must use the index meant for them.
// Their answers would be the same through another index or none, only slower with
// every event stored, so no other test would notice.
func TestReadsOfASeriesUseTheSeriesIndex(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) { readsOfASeriesUseTheSeriesIndex(t, b) })
}

func readsOfASeriesUseTheSeriesIndex(t *testing.T, b testdb.Backend) {
	ctx := context.Background()
	st, db, _ := openWithSeries(t, b)

	queries := &queryLog{}
	//lint:ignore SA1019 WithQueryHook returns a copy of the DB, which the store does not use
	db.AddQueryHook(queries)
	_, err := st.ListEventTimes(ctx, &store.ListEventTimesParams{Subject: "tenant-3", Metric: "m1",
		From: periodStart, To: periodEnd})
	require.NoError(t, err)
	// Voiding an event of a max quota reads the events of its period again.
	_, err = st.CorrectEvent(ctx, &store.CorrectEventParams{
		Correction: store.Correction{ID: "c1", Subject: "tenant-3", EventID: "m1-5", Kind: store.CorrectionVoid},
		Check:      func(store.Event) (int64, string, error) { return 0, "", nil },
		Now:        now,
	})
	require.NoError(t, err)

	reads := queries.matching(func(q string) bool {
		return strings.HasPrefix(q, "SELECT") && strings.Contains(q, `"usage_events"`) && strings.Contains(q, "series = ")
	})
	require.Len(t, reads, 2, "the event times and the period's events, read by series")
	for _, q := range reads {
		require.Contains(t, explain(t, db, explainOf(t, b), q), "usage_events_series_at", "the plan of %s", q)
	}
}

// No index of usage_events begins with the subject (see migration 028): listing a
// subject's events must go through the series index, and finding stored events by
// their subject and ID through the events' key, not through a scan of every event.
func TestEventsAreFoundThroughAnIndex(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) { eventsAreFoundThroughAnIndex(t, b) })
}

func eventsAreFoundThroughAnIndex(t *testing.T, b testdb.Backend) {
	ctx := context.Background()
	st, db, events := openWithSeries(t, b)

	queries := &queryLog{}
	//lint:ignore SA1019 WithQueryHook returns a copy of the DB, which the store does not use
	db.AddQueryHook(queries)
	res, err := st.ListEvents(ctx, &store.ListEventsParams{Subject: "tenant-3", AfterSeq: 0, Limit: 50})
	require.NoError(t, err)
	require.Len(t, res.Events, 50)
	// Tracked again, a few events are duplicates, read from the events stored.
	again, err := st.Ingest(ctx, &store.IngestParams{Events: events[300:303], Now: now})
	require.NoError(t, err)
	for _, o := range again.Outcomes {
		require.Equal(t, store.StatusDuplicate, o.Status)
	}

	key := map[string]string{"sqlite": "sqlite_autoindex_usage_events_1", "postgres": "usage_events_event_id_subject_key"}[b.Name]
	for _, read := range []struct {
		marker, index string
	}{{"series IN ", "usage_events_series_at"}, {"(event_id, subject) IN ", key}} {
		found := queries.matching(func(q string) bool {
			return strings.HasPrefix(q, "SELECT") && strings.Contains(q, `"usage_events"`) && strings.Contains(q, read.marker)
		})
		require.Len(t, found, 1, "reads of usage_events with %s", read.marker)
		require.Contains(t, explain(t, db, explainOf(t, b), found[0]), read.index, "the plan of %s", found[0])
	}
}

// openWithSeries opens a new store of b holding 40 series of 100 events (20
// subjects, tenant-0 to tenant-19, of metrics m0 and m1), with the statistics a
// planner goes by, and returns it, its database and the events.
func openWithSeries(t *testing.T, b testdb.Backend) (store.Store, *bun.DB, []store.IngestEvent) {
	ctx := context.Background()
	st, _ := b.OpenNew(t)
	db := bunDB(t, st)
	var events []store.IngestEvent
	for s := range 20 {
		for m := range 2 {
			for j := range 100 {
				events = append(events, store.IngestEvent{
					Event: store.Event{Subject: fmt.Sprint("tenant-", s), ID: fmt.Sprint("m", m, "-", j), Metric: fmt.Sprint("m", m),
						Value: int64(j) * store.MicrosPerUnit, Time: now.Add(-time.Duration(j) * time.Minute), Fingerprint: "f"},
					Quota: store.QuotaSpec{PeriodStart: periodStart, PeriodEnd: periodEnd, Aggregation: store.AggregationMax,
						Unlimited: true, AllowOverage: true},
				})
			}
		}
	}
	_, err := st.Ingest(ctx, &store.IngestParams{Events: events, Now: now})
	require.NoError(t, err)
	for _, table := range []string{"usage_events", "usage_quotas"} {
		_, err = db.ExecContext(ctx, "ANALYZE "+table)
		require.NoError(t, err)
	}
	return st, db, events
}

// queryLog is a bun query hook that keeps the text of every query run.
type queryLog struct {
	mu      sync.Mutex
	queries []string
}

func (l *queryLog) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

func (l *queryLog) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.queries = append(l.queries, e.Query)
}

func (l *queryLog) matching(keep func(string) bool) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, q := range l.queries {
		if keep(q) {
			out = append(out, q)
		}
	}
	return out
}

// explain returns, as text, the plan the database would run query by; prefix is the
// database's EXPLAIN form.
func explain(t *testing.T, db *bun.DB, prefix, query string) string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), prefix+query)
	require.NoError(t, err)
	defer rows.Close()
	columns, err := rows.Columns()
	require.NoError(t, err)
	var plan strings.Builder
	for rows.Next() {
		values := make([]any, len(columns))
		pointers := make([]any, len(columns))
		for i := range values {
			pointers[i] = &values[i]
		}
		require.NoError(t, rows.Scan(pointers...))
		for _, v := range values {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			fmt.Fprint(&plan, v, " ")
		}
		plan.WriteString("\n")
	}
	require.NoError(t, rows.Err())
	return plan.String()
}
