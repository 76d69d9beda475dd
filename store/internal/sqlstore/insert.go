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

// insertEvents inserts events taken for new, in one statement, and returns their
// sequence numbers, or errAlreadyStored if one was not new after all.
//
// The statement's one argument is the rows as JSON: one round trip and a short
// statement, where a VALUES list would have the server parse every value, in chunks
// that fit the limit on bound variables. The INSERT is a plain one, cheaper than one
// that resolves conflicts, as duplicates are rare.
func (s *Store) insertEvents(ctx context.Context, tx bun.Tx, rows []eventRow) (map[eventKey]int64, error) {
	seqs := make(map[eventKey]int64, len(rows))
	if len(rows) == 0 {
		return seqs, nil
	}
	arg, err := json.Marshal(rows)
	if err != nil {
		return nil, fmt.Errorf("insert events: %w", err)
	}
	cur, err := tx.QueryContext(ctx, "INSERT INTO usage_events ("+columnNames(eventColumns)+") "+
		s.dialect.JSONRows(eventColumns)+" RETURNING seq, subject, event_id", string(arg))
	if err != nil {
		return nil, s.insertEventsError(err)
	}
	defer cur.Close()
	for cur.Next() {
		var seq int64
		var key eventKey
		if err := cur.Scan(&seq, &key.subject, &key.id); err != nil {
			return nil, fmt.Errorf("insert events: %w", err)
		}
		seqs[key] = seq
	}
	if err := cur.Err(); err != nil {
		return nil, s.insertEventsError(err)
	}
	if len(seqs) != len(rows) {
		return nil, fmt.Errorf("insert events: %d of %d rows inserted", len(seqs), len(rows))
	}
	return seqs, nil
}

func (s *Store) insertEventsError(err error) error {
	if s.dialect.UniqueViolation(err) {
		return errAlreadyStored
	}
	return fmt.Errorf("insert events: %w", err)
}

func columnNames(columns []Column) string {
	names := make([]string, len(columns))
	for i, c := range columns {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}
