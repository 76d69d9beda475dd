package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
)

// eventColumns are the columns Ingest writes to usage_events, all but seq.
var eventColumns = []string{
	"subject", "event_id", "user_id", "metric", "value", "at", "period_start", "properties",
	"fingerprint", "used_after", "created_at", "series",
}

// writeBatch inserts a batch's new events, runs bulk and rest, the statements that
// write the rest of the batch, and on a pipelined transaction the statements that
// commit it, all in one round trip where the backend can. It returns
// errAlreadyStored if an event was not new after all. The insert is a plain one,
// cheaper than one that resolves conflicts, as duplicates are rare.
func (s *engine) writeBatch(ctx context.Context, t *ingestTx, rows []eventRow, bulk []rowsStatement, rest []string) error {
	commit := t.commit()
	var err error
	if s.dialect.CopyRows != nil {
		var before []string
		for _, b := range bulk {
			before = append(before, b.text(t.db.Dialect())...)
		}
		before = append(before, rest...)
		if len(rows) == 0 {
			err = execAll(ctx, t.db, append(before, commit...))
		} else {
			err = s.copyEvents(ctx, t.conn, before, rows, commit)
		}
	} else {
		_, err = execPrepared(ctx, t.prepared, append([]rowsStatement{insertEvents(rows)}, bulk...)...)
		if err == nil {
			err = execAll(ctx, t.db, append(rest, commit...))
		}
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

// insertEvents inserts rows, for a database in process (SQLite), where it runs
// prepared (see execPrepared). OR ROLLBACK ends the whole transaction on a
// violation, as Ingest would anyway, so SQLite keeps no statement journal (a copy
// of each page the statement changes, to undo it alone).
func insertEvents(rows []eventRow) rowsStatement {
	return rowsStatement{head: "INSERT OR ROLLBACK INTO usage_events (" + strings.Join(eventColumns, ", ") + ") VALUES ",
		width: len(eventColumns), n: len(rows), write: func(i int, w RowWriter) { rows[i].write(w) }}
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
