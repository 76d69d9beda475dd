package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/uptrace/bun"
)

// eventColumns are the columns Ingest writes to usage_events, all but seq.
var eventColumns = []string{
	"subject", "event_id", "user_id", "metric", "value", "at", "period_start", "properties",
	"fingerprint", "used_after", "created_at", "series",
}

// writeBatch inserts a batch's new events and runs rest, the statements that write
// the rest of the batch, and on a pipelined transaction the statements that commit
// it, all in one round trip where the backend can. It returns errAlreadyStored if an
// event was not new after all. The insert is a plain one, cheaper than one that
// resolves conflicts, as duplicates are rare.
func (s *engine) writeBatch(ctx context.Context, t *ingestTx, rows []eventRow, rest []string) error {
	commit := t.commit()
	var err error
	switch {
	case len(rows) == 0:
	case s.dialect.CopyRows != nil:
		err = s.copyEvents(ctx, t.conn, rest, rows, commit)
		rest, commit = nil, nil // run with the copy
	default:
		err = insertEventsPrepared(ctx, t.conn, rows)
	}
	if err == nil {
		err = execAll(ctx, t.db, append(rest, commit...))
	}
	if err != nil && s.dialect.UniqueViolation(err, "usage_events") {
		return errAlreadyStored
	}
	if err != nil {
		return fmt.Errorf("write events, quotas, rollups: %w", err)
	}
	return nil
}

// copyEvents runs the statements of before, writes rows with the backend's bulk
// load, and runs the statements of after, in one round trip; seq is the column's
// default.
func (s *engine) copyEvents(ctx context.Context, conn *sql.Conn, before []string, rows []eventRow, after []string) error {
	return s.dialect.CopyRows(ctx, conn, before, after, "usage_events", eventColumns, len(rows), func(i int, w RowWriter) {
		rows[i].write(w)
	})
}

// write gives w the row's values in the order of eventColumns.
func (r *eventRow) write(w RowWriter) {
	w.Text(r.Subject)
	w.Text(r.EventID)
	w.Text(r.UserID)
	w.Text(r.Metric)
	w.Int(r.Value)
	w.Int(r.At)
	w.Int(r.PeriodStart)
	w.Text(r.Properties)
	w.Text(r.Fingerprint)
	w.Int(r.UsedAfter)
	w.Int(r.CreatedAt)
	w.Int(r.Series)
}

// argsWriter collects a statement's arguments from rows' values.
type argsWriter struct{ args []any }

func (w *argsWriter) Text(s string) { w.args = append(w.args, s) }
func (w *argsWriter) Int(v int64)   { w.args = append(w.args, v) }

// insertEventsPrepared inserts rows through prepared statements of many rows each,
// for a database in process (SQLite): there a statement costs no round trip, binding
// values costs less than parsing them, and each statement run has a fixed cost that
// several rows share. OR ROLLBACK ends the whole transaction on a violation, as
// Ingest would anyway, so SQLite keeps no statement journal (a copy of each page
// the statement changes, to undo it alone).
func insertEventsPrepared(ctx context.Context, conn *sql.Conn, rows []eventRow) error {
	stmts := map[int]*sql.Stmt{}
	defer func() {
		for _, stmt := range stmts {
			stmt.Close()
		}
	}()
	w := &argsWriter{args: make([]any, 0, rowsPerInsert*len(eventColumns))}
	for chunk := range slices.Chunk(rows, rowsPerInsert) {
		stmt := stmts[len(chunk)]
		if stmt == nil {
			var err error
			// Through the connection that holds the transaction, not bun's formatting,
			// the placeholders reach the driver.
			if stmt, err = conn.PrepareContext(ctx, insertEventsSQL(len(chunk))); err != nil {
				return err
			}
			stmts[len(chunk)] = stmt
		}
		w.args = w.args[:0]
		for i := range chunk {
			chunk[i].write(w)
		}
		if _, err := stmt.ExecContext(ctx, w.args...); err != nil {
			return err
		}
	}
	return nil
}

// rowsPerInsert is the most rows of one prepared insert: 1,200 variables, far
// below SQLite's limit of 32,766. Each run of a statement has a fixed cost that its
// rows share, and SQLite's one writer is busy nearly all the time under load.
const rowsPerInsert = 100

// insertEventsSQL is an INSERT of n rows of eventColumns with placeholders.
func insertEventsSQL(n int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(eventColumns)), ", ") + ")"
	return "INSERT OR ROLLBACK INTO usage_events (" + strings.Join(eventColumns, ", ") + ") VALUES " +
		strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

// execAll runs statements in one round trip: without arguments their text goes to
// the driver as it is, and both drivers run every statement in it.
func execAll(ctx context.Context, tx bun.IDB, stmts []string) error {
	if len(stmts) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, strings.Join(stmts, ";\n"))
	return err
}
