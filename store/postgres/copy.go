package postgres

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/usagekit/usage/store/internal/sqlstore"
)

// copyRows writes rows with COPY … FROM STDIN in the binary format, through pgx's
// connection that holds the transaction. The rows are encoded here, not by
// pgx.CopyFrom: that takes each value as an interface, which costs an allocation
// per value, and asks the server for the column types on every call. The binary
// format of text and bigint is simple: per row a field count, per field its length
// and its bytes (big-endian for bigint).
//
// The statements of before and after go in the same query message, before and after
// the COPY: the server runs those before, takes the rows, which pgconn sends without
// waiting, and runs those after. If one fails, the server skips the rest of the
// message and ignores the rows.
func copyRows(ctx context.Context, conn *sql.Conn, before, after []string, table string, columns []string, n int, row func(int, sqlstore.RowWriter)) error {
	w := copyBuffers.Get().(*binaryRows)
	w.buf.Reset()
	w.fields = int16(len(columns))
	w.buf.Grow(copyHeaderLen + n*(2+len(columns)*16))
	w.buf.WriteString(copySignature)
	w.buf.Write(make([]byte, 8)) // flags and header extension length: none
	for i := range n {
		w.buf.Write(binary.BigEndian.AppendUint16(w.scratch[:0], uint16(w.fields)))
		w.written = 0
		row(i, w)
		if w.written != w.fields {
			return fmt.Errorf("postgres: copy row %d: %d values for %d columns", i, w.written, w.fields)
		}
	}
	w.buf.Write([]byte{0xff, 0xff}) // the end: a field count of -1
	quoted := make([]string, len(columns))
	for i, c := range columns {
		quoted[i] = pgx.Identifier{c}.Sanitize()
	}
	copyStmt := "COPY " + pgx.Identifier{table}.Sanitize() + " (" + strings.Join(quoted, ", ") + ") FROM STDIN (FORMAT binary)"
	sql := strings.Join(slices.Concat(before, []string{copyStmt}, after), ";\n")
	err := conn.Raw(func(driverConn any) error {
		c, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("postgres: the pool's driver is %T, not pgx", driverConn)
		}
		_, err := c.Conn().PgConn().CopyFrom(ctx, &w.buf, sql)
		return err
	})
	if err == nil {
		// When the connection fails, CopyFrom may return before its goroutine that
		// reads the buffer has stopped: such a buffer is left to the collector.
		copyBuffers.Put(w)
	}
	return err
}

// copyBuffers keeps the encoding buffers of earlier batches, which a writer's next
// batch would otherwise allocate again at the same size.
var copyBuffers = sync.Pool{New: func() any { return new(binaryRows) }}

// copySignature opens a binary COPY stream.
const copySignature = "PGCOPY\n\xff\r\n\x00"

const copyHeaderLen = len(copySignature) + 8

// binaryRows encodes rows in COPY's binary format.
type binaryRows struct {
	buf     bytes.Buffer
	scratch [12]byte
	fields  int16
	written int16
}

func (w *binaryRows) Text(s string) {
	w.buf.Write(binary.BigEndian.AppendUint32(w.scratch[:0], uint32(len(s))))
	w.buf.WriteString(s)
	w.written++
}

func (w *binaryRows) Int(v int64) {
	b := binary.BigEndian.AppendUint32(w.scratch[:0], 8)
	w.buf.Write(binary.BigEndian.AppendUint64(b, uint64(v)))
	w.written++
}

func (w *binaryRows) Bool(v bool) {
	b := binary.BigEndian.AppendUint32(w.scratch[:0], 1)
	if v {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	w.buf.Write(b)
	w.written++
}
