package main

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// The partitioned layout of usage_events, which retention drops a month at a time,
// built for the retention benchmark on Postgres: the store's own ingest path writes
// into it unchanged.
//
// A unique index of a partitioned table must include the partition key, and
// (event_id, subject, at) would not stop an event ID from being stored again at a
// time in another month. A table of keys that is not partitioned,
// usage_event_keys, keeps idempotency global instead: a
// statement trigger on usage_events adds the keys of every statement's new rows to
// it (COPY fires triggers, not rules), and if one was there already it raises the
// unique violation of usage_events that the store takes for "stored already". The
// key table cannot be partitioned by the events' month itself: its unique key would
// then include the month too.

// keyTable is the table that keeps usage_events' key global.
const keyTable = "usage_event_keys"

// eventsKey is the name of usage_events' unique key on (event_id, subject).
const eventsKey = "usage_events_event_id_subject_key"

// partitionPrefix names the partitions: the prefix and the month, "usage_events_p202406".
const partitionPrefix = "usage_events_p"

// partitionEvents turns the empty usage_events table of the schema db works in into
// one partitioned by month of at with a partition per month from the month of first
// to the month of last. Columns, defaults and indexes stay as they are, except that
// the unique index on (event_id, subject) becomes a plain one: the key table and
// its trigger keep the key unique across all partitions.
func partitionEvents(ctx context.Context, db *sql.DB, first, last time.Time) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var rows int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM (SELECT 1 FROM usage_events LIMIT 1) e").Scan(&rows); err != nil {
		return fmt.Errorf("partition usage_events: %w", err)
	}
	if rows > 0 {
		return fmt.Errorf("partition usage_events: the table holds events; only an empty one is converted")
	}
	indexes, err := eventIndexes(ctx, tx)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(indexes, func(ix eventIndex) bool {
		return ix.unique && slices.Equal(ix.columns, []string{"event_id", "subject"})
	}) {
		return fmt.Errorf("partition usage_events: no unique index on (event_id, subject) to keep global")
	}
	stmts := []string{
		"ALTER TABLE usage_events RENAME TO usage_events_plain",
		// LIKE copies the columns with their types, collations, defaults and
		// identity, not the indexes, which are built below with the partition key.
		"CREATE TABLE usage_events (LIKE usage_events_plain INCLUDING DEFAULTS INCLUDING IDENTITY) PARTITION BY RANGE (at)",
		"DROP TABLE usage_events_plain",
	}
	for _, ix := range indexes {
		stmts = append(stmts, ix.createPartitioned())
	}
	for m := monthOf(first); !m.After(monthOf(last)); m = m.AddDate(0, 1, 0) {
		stmts = append(stmts, fmt.Sprintf("CREATE TABLE %s PARTITION OF usage_events FOR VALUES FROM (%d) TO (%d)",
			partitionName(m), m.UnixMicro(), m.AddDate(0, 1, 0).UnixMicro()))
	}
	stmts = append(stmts,
		// Same types and collations as usage_events' key columns.
		`CREATE TABLE `+keyTable+` (subject TEXT COLLATE "C" NOT NULL, event_id TEXT COLLATE "C" NOT NULL, PRIMARY KEY (event_id, subject))`,
		// ON CONFLICT DO NOTHING, then a count, finds a key stored already without
		// a subtransaction per statement (which an exception handler would take),
		// and waits, like a unique index, for a concurrent insert of the same key.
		`CREATE FUNCTION usage_events_keep_keys() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	added bigint;
	total bigint;
BEGIN
	INSERT INTO `+keyTable+` (event_id, subject) SELECT event_id, subject FROM new_events ON CONFLICT DO NOTHING;
	GET DIAGNOSTICS added = ROW_COUNT;
	SELECT count(*) INTO total FROM new_events;
	IF added < total THEN
		RAISE EXCEPTION 'duplicate key value violates unique constraint "`+eventsKey+`"'
			USING ERRCODE = 'unique_violation', SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, CONSTRAINT = '`+eventsKey+`';
	END IF;
	RETURN NULL;
END
$$`,
		"CREATE TRIGGER usage_events_keep_keys AFTER INSERT ON usage_events REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION usage_events_keep_keys()",
	)
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("partition usage_events: %s: %w", strings.SplitN(s, "(", 2)[0], err)
		}
	}
	return tx.Commit()
}

// eventIndex is an index of the plain usage_events table.
type eventIndex struct {
	name    string
	unique  bool
	columns []string // key columns, as pg_get_indexdef gives them
}

// eventIndexes reads usage_events' indexes from the catalog, so that the
// partitioned table gets the same ones whatever the migrations made.
func eventIndexes(ctx context.Context, tx *sql.Tx) ([]eventIndex, error) {
	rows, err := tx.QueryContext(ctx, `SELECT c.relname, x.indisunique, pg_get_indexdef(x.indexrelid, k, true)
		FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid, generate_series(1, x.indnkeyatts) k
		WHERE x.indrelid = 'usage_events'::regclass ORDER BY c.relname, k`)
	if err != nil {
		return nil, fmt.Errorf("read usage_events' indexes: %w", err)
	}
	defer rows.Close()
	var out []eventIndex
	for rows.Next() {
		var name, column string
		var unique bool
		if err := rows.Scan(&name, &unique, &column); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].name != name {
			out = append(out, eventIndex{name: name, unique: unique})
		}
		out[len(out)-1].columns = append(out[len(out)-1].columns, column)
	}
	return out, rows.Err()
}

// createPartitioned is the statement that builds the index on the partitioned
// table, under its old name. A unique index there would have to include the
// partition key, checking nothing that the key table does not, and a partition's
// violation names the partition, not usage_events, so the store would not take it
// for "stored already": the key table does the unique index's work, and the index
// stays for finding events by their key.
func (ix eventIndex) createPartitioned() string {
	return "CREATE INDEX " + pgx.Identifier{ix.name}.Sanitize() + " ON usage_events (" + strings.Join(ix.columns, ", ") + ")"
}

func monthOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

func partitionName(month time.Time) string { return partitionPrefix + month.Format("200601") }
