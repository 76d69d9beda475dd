package sqlstore

import (
	"strconv"
	"strings"

	"github.com/uptrace/bun/schema"
)

// unnestRows returns a Postgres FROM item of n rows: unnest over one array literal
// per column, of the given types ("text" or "bigint"), named u (names). Postgres
// plans a VALUES list expression by expression, which for a batch of thousands of
// rows took longer than running the statement; an array literal is parsed once.
// Rows come out in the order write gives them.
func unnestRows(d schema.Dialect, names, types []string, n int, write func(i int, w RowWriter)) string {
	w := &arraysWriter{cols: make([][]byte, len(types))}
	for k := range w.cols {
		w.cols[k] = append(w.cols[k], '{')
	}
	for i := range n {
		w.k = 0
		write(i, w)
	}
	var b []byte
	b = append(b, "unnest("...)
	for k, col := range w.cols {
		if k > 0 {
			b = append(b, ", "...)
		}
		b = appendArray(b, d, col, types[k])
	}
	b = append(b, ") AS u ("...)
	b = append(b, strings.Join(names, ", ")...)
	return string(append(b, ')'))
}

// textArray returns a Postgres text[] literal of values.
func textArray(d schema.Dialect, values []string) string {
	w := &arraysWriter{cols: [][]byte{{'{'}}}
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

// arraysWriter appends each row's values to the array literal of its column.
type arraysWriter struct {
	cols [][]byte
	k    int
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
