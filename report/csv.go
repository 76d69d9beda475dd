package report

import (
	"bufio"
	"io"
	"time"
)

// writeCSV writes t as RFC 4180 CSV: CRLF line ends, fields quoted when they hold
// a comma, quote or line break, and every text field that could start a formula
// neutralised and quoted. encoding/csv's Writer cannot force quotes, which OWASP
// asks for, so the fields are written here.
func writeCSV(w io.Writer, t *table) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var line []byte
	for i, c := range t.columns {
		if i > 0 {
			line = append(line, ',')
		}
		line = appendField(line, c.key, false)
	}
	line = append(line, '\r', '\n')
	if _, err := bw.Write(line); err != nil {
		return err
	}
	zones := map[string]*time.Location{}
	var field []byte
	err := t.rows(func(row []cell) error {
		loc := t.rowLocation(row, zones)
		line = line[:0]
		for i, c := range t.columns {
			if i > 0 {
				line = append(line, ',')
			}
			if c.kind != kindText {
				line = appendPlain(line, c.kind, row[i], loc)
				continue
			}
			s := row[i].s
			if dangerous(s) {
				field = append(append(field[:0], '\''), s...)
				line = appendField(line, string(field), true)
				continue
			}
			line = appendField(line, s, false)
		}
		line = append(line, '\r', '\n')
		_, err := bw.Write(line)
		return err
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// appendField appends s as a CSV field, quoted when force is set or s needs it.
func appendField(b []byte, s string, force bool) []byte {
	if !force && !needsQuotes(s) {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

func needsQuotes(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	return s != "" && (s[0] == ' ' || s[len(s)-1] == ' ')
}
