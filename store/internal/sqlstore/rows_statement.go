package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"math/bits"
	"strconv"
	"strings"

	"github.com/uptrace/bun/schema"
)

// rowsStatement is a statement over many rows of values: head, then each row's
// width values in parentheses, separated by commas, then tail. Where Ingest sends
// its writes in one round trip (Postgres), the values go into the text (see text);
// in a database in process (SQLite) the statement runs prepared, its values bound
// (see execPrepared): there, parsing a statement with thousands of values in it
// cost more than running it.
type rowsStatement struct {
	head, tail string
	width, n   int
	// write gives w the values of row i, in order.
	write func(i int, w RowWriter)
	// arrays, if set, is the statement's form for Postgres that reads the rows from
	// arrays (see unnestRows) instead of a VALUES list.
	arrays *arrayForm
}

// arrayForm is a rowsStatement's form that reads its rows from arrays: head (which
// ends where the rows go, e.g. "SELECT * FROM "), the rows (named u), then tail;
// names and types are the rows' column names and Postgres types. Settings, if
// set, are statements sent before it in the same message, such as the plan
// settings it needs.
type arrayForm struct {
	settings, head, tail string
	names, types         []string
}

// text returns s with its values written in d's literal syntax, in statements of
// at most chunkSize rows, or as one statement in its array form, where it has one.
func (s rowsStatement) text(d schema.Dialect) []string {
	if s.arrays != nil {
		if s.n == 0 {
			return nil
		}
		return []string{s.arrays.text(d, s.n, s.write)}
	}
	var out []string
	for lo := 0; lo < s.n; lo += chunkSize {
		w := &literalWriter{d: d, b: []byte(s.head)}
		for i := lo; i < min(lo+chunkSize, s.n); i++ {
			if i > lo {
				w.b = append(w.b, ", "...)
			}
			w.b, w.first = append(w.b, '('), true
			s.write(i, w)
			w.b = append(w.b, ')')
		}
		out = append(out, string(append(w.b, s.tail...)))
	}
	return out
}

// literalWriter appends a row's values to b as SQL literals, separated by commas.
type literalWriter struct {
	d     schema.Dialect
	b     []byte
	first bool
}

func (w *literalWriter) sep() {
	if !w.first {
		w.b = append(w.b, ", "...)
	}
	w.first = false
}

func (w *literalWriter) Text(s string) { w.sep(); w.b = w.d.AppendString(w.b, s) }
func (w *literalWriter) Int(v int64)   { w.sep(); w.b = strconv.AppendInt(w.b, v, 10) }
func (w *literalWriter) Bool(v bool)   { w.sep(); w.b = w.d.AppendBool(w.b, v) }

// rowsPerInsert is the most rows of one prepared statement: with the widest rows
// (usage_events' 12 columns) 1,536 variables, far below SQLite's limit of 32,766.
// Each run of a statement has a fixed cost that its rows share, and SQLite's one
// writer is busy nearly all the time under load.
const rowsPerInsert = 128

// chunkRows is how many of n rows execPrepared puts in its next statement: the
// largest power of two up to rowsPerInsert that n holds, so that a kind of statement
// has a handful of prepared forms, kept across writes, whatever the batches' sizes.
func chunkRows(n int) int {
	return 1 << (bits.Len(uint(min(n, rowsPerInsert))) - 1)
}

// preparedKey names a prepared statement: a rowsStatement's text with n rows.
type preparedKey struct {
	head, tail string
	width, n   int
}

// execPrepared runs stmts, in order, on the connection of prepared (which holds
// the transaction) as prepared statements of chunkRows rows each, and returns the
// number of rows they changed.
func execPrepared(ctx context.Context, prepared *preparedStmts, stmts ...rowsStatement) (changed int64, err error) {
	defer func() { err = errors.Join(err, prepared.endCall()) }()
	err = prepared.run(func(conn driver.ConnPrepareContext) error {
		for _, s := range stmts {
			for lo := 0; lo < s.n; {
				hi := lo + chunkRows(s.n-lo)
				for i := lo; i < hi; i++ {
					s.write(i, prepared)
				}
				n, err := prepared.exec(ctx, conn, preparedKey{s.head, s.tail, s.width, hi - lo})
				if err != nil {
					return err
				}
				changed += n
				lo = hi
			}
		}
		return nil
	})
	return changed, err
}

// sql is the statement's text with placeholders.
func (k preparedKey) sql() string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", k.width), ", ") + ")"
	return k.head + strings.TrimSuffix(strings.Repeat(row+", ", k.n), ", ") + k.tail
}
