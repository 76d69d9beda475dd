package sqlstore

import (
	"strconv"
	"sync"

	"github.com/uptrace/bun/schema"
)

// unnestRows returns a Postgres FROM item of n rows: unnest over one array literal
// per column, of the given types ("text" or "bigint"), named u (names). Postgres
// plans a VALUES list expression by expression, which for a batch of thousands of
// rows took longer than running the statement; an array literal is parsed once.
// Rows come out in the order write gives them.
func unnestRows(d schema.Dialect, names, types []string, n int, write func(i int, w RowWriter)) string {
	return arrayForm{names: names, types: types}.text(d, n, write)
}

// text returns f's statement over n rows that write gives, after its settings:
// head, the rows as unnestRows gives them, then tail. The columns are written in
// buffers kept between statements and the statement in one buffer of its size: a
// batch's statements are large, and buffers grown by appending, value after
// value, left more garbage than the statements themselves.
func (f arrayForm) text(d schema.Dialect, n int, write func(i int, w RowWriter)) string {
	w := columnWriters.Get().(*arraysWriter)
	defer w.release()
	w.begin(len(f.types))
	for i := range n {
		w.k = 0
		write(i, w)
	}
	size := len(f.settings) + len(f.head) + len("unnest() AS u ()") + len(f.tail)
	for k, col := range w.cols {
		size += len(col) + len(", '}'::[]") + len(f.types[k]) + len(", ") + len(f.names[k])
	}
	// Room for quotes that the literal doubles, which values seldom hold.
	b := make([]byte, 0, size+size/64)
	b = append(b, f.settings...)
	b = append(b, f.head...)
	b = append(b, "unnest("...)
	for k, col := range w.cols {
		if k > 0 {
			b = append(b, ", "...)
		}
		b = appendArray(b, d, col, f.types[k])
	}
	b = append(b, ") AS u ("...)
	for k, name := range f.names {
		if k > 0 {
			b = append(b, ", "...)
		}
		b = append(b, name...)
	}
	b = append(b, ')')
	return string(append(b, f.tail...))
}

// textArray returns a Postgres text[] literal of values.
func textArray(d schema.Dialect, values []string) string {
	w := columnWriters.Get().(*arraysWriter)
	defer w.release()
	w.begin(1)
	for _, v := range values {
		w.k = 0
		w.Text(v)
	}
	return string(appendArray(nil, d, w.cols[0], "text"))
}

// appendArray appends col, an array's elements after its opening brace, as a
// literal of type typ[].
func appendArray(b []byte, d schema.Dialect, col []byte, typ string) []byte {
	b = d.AppendString(b, string(append(col, '}')))
	b = append(b, "::"...)
	b = append(b, typ...)
	return append(b, "[]"...)
}

// columnWriters keeps arraysWriters, with their buffers, between statements.
var columnWriters = sync.Pool{New: func() any { return new(arraysWriter) }}

// maxKeptColumnBytes bounds the buffers an arraysWriter keeps when released: one
// that grew for an unusually large statement is left to the collector.
const maxKeptColumnBytes = 8 << 20

// arraysWriter appends each row's values to the array literal of its column.
type arraysWriter struct {
	cols [][]byte
	k    int
}

// begin empties the writer for a statement of the given number of columns, each
// array opened.
func (w *arraysWriter) begin(columns int) {
	if cap(w.cols) < columns {
		w.cols = make([][]byte, columns)
	}
	w.cols = w.cols[:columns]
	for k := range w.cols {
		w.cols[k] = append(w.cols[k][:0], '{')
	}
}

// release gives w back to columnWriters, unless its buffers grew too large to keep.
func (w *arraysWriter) release() {
	kept := 0
	// Columns past the last statement's count keep their buffers too.
	for _, col := range w.cols[:cap(w.cols)] {
		kept += cap(col)
	}
	if kept <= maxKeptColumnBytes {
		columnWriters.Put(w)
	}
}

func (w *arraysWriter) next() []byte {
	col := w.cols[w.k]
	if len(col) > 1 {
		col = append(col, ',')
	}
	return col
}

// Text writes s as a quoted array element: a backslash before each quote and
// backslash in it.
func (w *arraysWriter) Text(s string) {
	col := append(w.next(), '"')
	for i := range len(s) {
		if s[i] == '"' || s[i] == '\\' {
			col = append(col, '\\')
		}
		col = append(col, s[i])
	}
	w.cols[w.k] = append(col, '"')
	w.k++
}

func (w *arraysWriter) Int(v int64) {
	w.cols[w.k] = strconv.AppendInt(w.next(), v, 10)
	w.k++
}

func (w *arraysWriter) Bool(v bool) {
	w.cols[w.k] = strconv.AppendBool(w.next(), v)
	w.k++
}
