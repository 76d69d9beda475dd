package postgres_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
	"github.com/usagekit/usage/store/postgres"
)

// Every batch rewrites the counters of the quota rows it charges. The new version
// of a row must fit on the page of the old one, or every index of the table gets an
// entry for it: pages of quota rows are filled at first only in part. The rows are
// created full and packed, by refused events (a refusal creates the row and does not
// change it), then a quarter of them is charged in one batch.
func TestChargedQuotaRowsStayOnTheirPages(t *testing.T) {
	ctx := context.Background()
	st := openNew(t)
	db := postgres.BunDB(st)

	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	event := func(subject, id string, value int64) store.IngestEvent {
		return store.IngestEvent{
			Event: store.Event{Subject: subject, ID: id, Metric: "calls", Value: value, Time: now, Fingerprint: id},
			Quota: store.QuotaSpec{PeriodStart: now.AddDate(0, 0, -1), PeriodEnd: now.AddDate(0, 1, 0),
				Aggregation: store.AggregationSum, Limit: 0},
		}
	}
	const subjects = 400
	var refused, charged []store.IngestEvent
	for i := range subjects {
		subject := fmt.Sprintf("tenant-%04d", i)
		refused = append(refused, event(subject, "refused", store.MicrosPerUnit))
		if i%4 == 0 {
			charged = append(charged, event(subject, "charged", 0))
		}
	}
	res, err := st.Ingest(ctx, &store.IngestParams{Events: refused, Now: now})
	require.NoError(t, err)
	require.Equal(t, store.StatusQuotaExceeded, res.Outcomes[0].Status)

	pages := func() map[string]int64 {
		rows, err := db.QueryContext(ctx, "SELECT subject, (ctid::text::point)[0]::bigint FROM usage_quotas")
		require.NoError(t, err)
		defer rows.Close()
		out := map[string]int64{}
		for rows.Next() {
			var subject string
			var page int64
			require.NoError(t, rows.Scan(&subject, &page))
			out[subject] = page
		}
		require.NoError(t, rows.Err())
		return out
	}
	before := pages()
	require.Len(t, before, subjects)
	first, last := before["tenant-0000"], before[fmt.Sprintf("tenant-%04d", subjects-1)]
	require.Greater(t, last, first, "the rows fill more than one page")

	res, err = st.Ingest(ctx, &store.IngestParams{Events: charged, Now: now})
	require.NoError(t, err)
	for i, o := range res.Outcomes {
		require.Equal(t, store.StatusInserted, o.Status, "event %d", i)
	}
	after := pages()
	moved := 0
	for _, ie := range charged {
		if after[ie.Event.Subject] != before[ie.Event.Subject] {
			moved++
		}
	}
	require.Zero(t, moved, "charged quota rows whose new version went to another page, of %d", len(charged))
}

// An update that changes an indexed column makes new index entries even where the
// row's new version stays on its page: no index of usage_quotas may include a
// column that charging a quota row changes.
func TestNoIndexOfQuotaRowsIncludesTheirCounters(t *testing.T) {
	ctx := context.Background()
	st := openNew(t)

	rows, err := postgres.BunDB(st).QueryContext(ctx,
		"SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'usage_quotas'")
	require.NoError(t, err)
	defer rows.Close()
	counters := regexp.MustCompile(`\b(used|count|total|last_at|updated_at)\b`)
	indexes := 0
	for rows.Next() {
		var name, def string
		require.NoError(t, rows.Scan(&name, &def))
		indexes++
		require.False(t, counters.MatchString(def), "index %s includes a counter: %s", name, def)
	}
	require.NoError(t, rows.Err())
	require.NotZero(t, indexes)
}
