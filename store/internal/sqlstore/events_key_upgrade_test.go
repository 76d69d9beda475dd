package sqlstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
)

// Migration 28 keys usage_events by (event_id, subject) instead of (subject,
// event_id). The test takes a database back to the old key through SQL, as the
// migrations before 28 left it, and opens it again to run the migration once more.
func TestEventsKeyedBySubjectFirstAreKeyedByIDFirst(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) { eventsKeyedBySubjectFirstAreKeyedByIDFirst(t, b) })
}

func eventsKeyedBySubjectFirstAreKeyedByIDFirst(t *testing.T, b testdb.Backend) {
	ctx := context.Background()
	st, loc := b.OpenNew(t)
	// The first store stays open beside the second: its database is the test's
	// direct access to the tables.
	db := bunDB(t, st)
	n := 0
	subjects := []string{"acme", "globex", "initech"}
	for range 3 {
		ingestCounted(t, st, &n, subjects...)
	}
	// The newest event is gone, as a restore or a hand may leave it: its number
	// must not be given again.
	var newest int64
	require.NoError(t, db.QueryRowContext(ctx, "SELECT MAX(seq) FROM usage_events").Scan(&newest))
	_, err := db.ExecContext(ctx, "DELETE FROM usage_events WHERE seq = ?", newest)
	require.NoError(t, err)
	before := listedEvents(t, st, subjects)
	listed := 0
	for _, evs := range before {
		listed += len(evs)
	}
	require.Equal(t, 8, listed, "events listed before the migration")

	// In one transaction, so on one connection: a pooled connection that has not
	// yet read the schema another changed may misjudge a name, as the index the
	// dropped table had.
	tx, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	for _, stmt := range subjectFirstKey[b.Name] {
		_, err := tx.ExecContext(ctx, stmt)
		require.NoError(t, err, stmt)
	}
	require.NoError(t, tx.Commit())
	require.Equal(t, []string{"subject, event_id"}, uniqueKeysOfEvents(t, b, db), "the old key, before the migration")
	_, err = db.ExecContext(ctx, "DELETE FROM usage_schema_migrations WHERE version = 28")
	require.NoError(t, err)

	st = b.OpenAt(t, loc) // runs migration 28 again
	require.Equal(t, []string{"event_id, subject"}, uniqueKeysOfEvents(t, b, db))
	require.Equal(t, before, listedEvents(t, st, subjects), "the events and their numbers")

	// A stored event is found by its subject and ID: tracked again, it is a
	// duplicate, and the same ID of another subject is an event of its own.
	res, err := st.Ingest(ctx, &store.IngestParams{Now: now,
		Events: []store.IngestEvent{countedEvent("acme", 1), countedEvent("globex", 1)}})
	require.NoError(t, err)
	require.Equal(t, store.StatusDuplicate, res.Outcomes[0].Status)
	require.Equal(t, store.StatusInserted, res.Outcomes[1].Status)
	var seq int64
	require.NoError(t, db.QueryRowContext(ctx,
		"SELECT seq FROM usage_events WHERE subject = 'globex' AND event_id = '1'").Scan(&seq))
	require.Greater(t, seq, newest, "a new event's number")
}

// subjectFirstKey gives usage_events the key it had before migration 28, by
// backend name.
var subjectFirstKey = map[string][]string{
	"postgres": {
		"CREATE UNIQUE INDEX usage_events_subject_event_id_key ON usage_events (subject, event_id)",
		"ALTER TABLE usage_events ADD CONSTRAINT usage_events_subject_event_id_key UNIQUE USING INDEX usage_events_subject_event_id_key",
		"ALTER TABLE usage_events REPLICA IDENTITY USING INDEX usage_events_subject_event_id_key",
		"ALTER TABLE usage_events DROP CONSTRAINT usage_events_event_id_subject_key",
	},
	"sqlite": {
		`CREATE TABLE usage_events_old (seq INTEGER PRIMARY KEY AUTOINCREMENT, subject TEXT NOT NULL,
			event_id TEXT NOT NULL, user_id TEXT NOT NULL, metric TEXT NOT NULL, value BIGINT NOT NULL,
			at BIGINT NOT NULL, period_start BIGINT NOT NULL, properties TEXT NOT NULL, fingerprint TEXT NOT NULL,
			used_after BIGINT NOT NULL, created_at BIGINT NOT NULL, series BIGINT, UNIQUE (subject, event_id))`,
		"INSERT INTO usage_events_old SELECT * FROM usage_events ORDER BY seq",
		"DELETE FROM sqlite_sequence WHERE name = 'usage_events_old'",
		"INSERT INTO sqlite_sequence (name, seq) SELECT 'usage_events_old', seq FROM sqlite_sequence WHERE name = 'usage_events'",
		"DROP TABLE usage_events",
		"ALTER TABLE usage_events_old RENAME TO usage_events",
		"CREATE INDEX usage_events_series_at ON usage_events (series, at)",
	},
}

// uniqueKeysOfEvents returns the columns of each unique index of usage_events, as
// "a, b".
func uniqueKeysOfEvents(t *testing.T, b testdb.Backend, db *bun.DB) []string {
	t.Helper()
	ctx := context.Background()
	var keys []string
	switch b.Name {
	case "postgres":
		var defs []string
		require.NoError(t, db.NewSelect().ColumnExpr("pg_get_indexdef(indexrelid)").TableExpr("pg_index").
			Where("indrelid = 'usage_events'::regclass AND indisunique").Scan(ctx, &defs))
		for _, d := range defs {
			_, cols, _ := strings.Cut(d, "(")
			keys = append(keys, strings.TrimSuffix(cols, ")"))
		}
	case "sqlite":
		var names []string
		require.NoError(t, db.NewSelect().Column("name").TableExpr("pragma_index_list('usage_events')").
			Where(`"unique" = 1`).Scan(ctx, &names))
		for _, name := range names {
			var cols []string
			require.NoError(t, db.NewSelect().Column("name").TableExpr("pragma_index_info(?)", name).
				Order("seqno").Scan(ctx, &cols))
			keys = append(keys, strings.Join(cols, ", "))
		}
	default:
		t.Fatalf("no catalog query for backend %q", b.Name)
	}
	return keys
}

// listedEvents returns the events ListEvents lists of each subject.
func listedEvents(t *testing.T, st store.Store, subjects []string) map[string][]store.Event {
	t.Helper()
	out := map[string][]store.Event{}
	for _, s := range subjects {
		res, err := st.ListEvents(context.Background(), &store.ListEventsParams{Subject: s, Limit: 100})
		require.NoError(t, err)
		out[s] = res.Events
	}
	return out
}
