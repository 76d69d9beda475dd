package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
)

// Column is a column of the rows a batch statement reads from its JSON argument.
type Column struct {
	// Name is the column's name, and the key of its value in each JSON object.
	Name string
	// Type is its SQL type: TEXT or BIGINT.
	Type string
}

// eventColumns are the columns Ingest writes to usage_events, all but seq.
var eventColumns = []Column{
	{"subject", "TEXT"}, {"event_id", "TEXT"}, {"user_id", "TEXT"}, {"metric", "TEXT"},
	{"value", "BIGINT"}, {"at", "BIGINT"}, {"period_start", "BIGINT"}, {"properties", "TEXT"},
	{"fingerprint", "TEXT"}, {"used_after", "BIGINT"}, {"created_at", "BIGINT"},
}

// writeBatch inserts a batch's new events and runs rest, the statements that write
// the rest of the batch, and returns the events' sequence numbers, or
// errAlreadyStored if an event was not new after all. The INSERT is a plain one,
// cheaper than one that resolves conflicts, as duplicates are rare.
func (s *Store) writeBatch(ctx context.Context, tx bun.Tx, rows []eventRow, rest []string) (map[eventKey]int64, error) {
	seqs := map[eventKey]int64{}
	var err error
	switch {
	case len(rows) == 0:
		err = execAll(ctx, tx, rest)
	case s.dialect.JSONRows != nil:
		seqs, err = s.insertEventsJSON(ctx, tx, rows, rest)
	default:
		seqs, err = insertEventsPrepared(ctx, tx, rows)
		if err == nil {
			err = execAll(ctx, tx, rest)
		}
	}
	if err != nil && s.dialect.UniqueViolation(err, "usage_events") {
		return nil, errAlreadyStored
	}
	if err != nil {
		return nil, fmt.Errorf("write events, quotas, rollups: %w", err)
	}
	return seqs, nil
}

// insertEventsJSON inserts rows with one statement whose one argument is the rows as
// JSON, followed by rest in the same round trip: a short statement, where a VALUES
// list would have the server parse every value, in chunks that fit the limit on
// bound variables.
func (s *Store) insertEventsJSON(ctx context.Context, tx bun.Tx, rows []eventRow, rest []string) (map[eventKey]int64, error) {
	arg, err := json.Marshal(rows)
	if err != nil {
		return nil, err
	}
	names := columnNames(eventColumns)
	insert := s.db.QueryGen().FormatQuery("INSERT INTO usage_events ("+names+") SELECT "+names+
		" FROM "+s.dialect.JSONRows(eventColumns)+" RETURNING seq, subject, event_id", string(arg))
	// Formatted already, the text goes to the driver as it is; the INSERT's rows
	// come first, and an error of a later statement ends them.
	cur, err := tx.QueryContext(ctx, strings.Join(append([]string{insert}, rest...), ";\n"))
	if err != nil {
		return nil, err
	}
	defer cur.Close()
	seqs := make(map[eventKey]int64, len(rows))
	for cur.Next() {
		var seq int64
		var key eventKey
		if err := cur.Scan(&seq, &key.subject, &key.id); err != nil {
			return nil, err
		}
		seqs[key] = seq
	}
	if err := cur.Err(); err != nil {
		return nil, err
	}
	if err := cur.Close(); err != nil {
		return nil, err
	}
	if len(seqs) != len(rows) {
		return nil, fmt.Errorf("%d of %d rows inserted", len(seqs), len(rows))
	}
	return seqs, nil
}

// insertEventsPrepared inserts rows one at a time through a prepared statement, for a
// database in process: there a statement costs no round trip, and binding values
// costs less than decoding JSON or parsing a VALUES list. seq is the row ID.
func insertEventsPrepared(ctx context.Context, tx bun.Tx, rows []eventRow) (map[eventKey]int64, error) {
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(eventColumns)), ", ")
	// Through the sql.Tx, not bun's formatting, the placeholders reach the driver.
	stmt, err := tx.Tx.PrepareContext(ctx, "INSERT INTO usage_events ("+columnNames(eventColumns)+
		") VALUES ("+marks+")")
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	seqs := make(map[eventKey]int64, len(rows))
	for _, r := range rows {
		res, err := stmt.ExecContext(ctx, r.Subject, r.EventID, r.UserID, r.Metric, r.Value, r.At,
			r.PeriodStart, r.Properties, r.Fingerprint, r.UsedAfter, r.CreatedAt)
		if err != nil {
			return nil, err
		}
		if seqs[eventKey{r.Subject, r.EventID}], err = res.LastInsertId(); err != nil {
			return nil, err
		}
	}
	return seqs, nil
}

// execAll runs statements in one round trip: without arguments their text goes to
// the driver as it is, and both drivers run every statement in it.
func execAll(ctx context.Context, tx bun.Tx, stmts []string) error {
	if len(stmts) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, strings.Join(stmts, ";\n"))
	return err
}

func columnNames(columns []Column) string {
	names := make([]string, len(columns))
	for i, c := range columns {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}
