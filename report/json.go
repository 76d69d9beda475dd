package report

import (
	"bufio"
	"encoding/json"
	"io"
	"time"
)

// jsonType names a column's kind in the JSON document's "columns".
var jsonType = map[kind]string{
	kindText: "string", kindQuantity: "quantity", kindMoney: "money", kindPercent: "percent",
	kindNumber: "number", kindInt: "integer", kindDate: "date", kindTime: "time", kindBool: "boolean",
}

// jsonHead is the document's opening, before the rows.
type jsonHead struct {
	Type        Type         `json:"type"`
	Title       string       `json:"title"`
	Subject     string       `json:"subject"`
	From        time.Time    `json:"from"`
	To          time.Time    `json:"to"`
	TimeZone    string       `json:"time_zone"`
	Currency    string       `json:"currency"`
	GeneratedAt time.Time    `json:"generated_at"`
	Columns     []jsonColumn `json:"columns"`
}

type jsonColumn struct {
	Key   string `json:"key"`
	Title string `json:"title"`
	Type  string `json:"type"`
}

// writeJSON writes the document described in the package documentation, one row
// at a time.
func writeJSON(w io.Writer, typ Type, h Header, t *table) error {
	loc := h.location()
	head := jsonHead{Type: typ, Title: h.Title, Subject: h.Subject, From: h.From.In(loc),
		To: h.To.In(loc), TimeZone: h.TimeZone, Currency: h.Currency, GeneratedAt: h.GeneratedAt.UTC()}
	for _, c := range t.columns {
		head.Columns = append(head.Columns, jsonColumn{Key: c.key, Title: c.title, Type: jsonType[c.kind]})
	}
	b, err := json.Marshal(head)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	// The head's closing brace makes way for the rows.
	bw.Write(b[:len(b)-1])
	bw.WriteString(`,"rows":[`)
	zones := map[string]*time.Location{}
	first := true
	var line []byte
	err = t.rows(func(row []cell) error {
		loc := t.rowLocation(row, zones)
		line = line[:0]
		if !first {
			line = append(line, ',')
		}
		first = false
		line = append(line, "\n{"...)
		for i, c := range t.columns {
			if i > 0 {
				line = append(line, ',')
			}
			line = append(line, '"')
			line = append(line, c.key...)
			line = append(line, `":`...)
			line = appendJSONValue(line, c.kind, row[i], loc)
		}
		line = append(line, '}')
		_, err := bw.Write(line)
		return err
	})
	if err != nil {
		return err
	}
	bw.WriteString("\n]}\n")
	return bw.Flush()
}

// appendJSONValue appends a cell as JSON: quantities, amounts, dates and times as
// strings, other numbers as numbers, null for an empty cell or a number that is
// not finite (JSON has no NaN).
func appendJSONValue(b []byte, k kind, c cell, loc *time.Location) []byte {
	switch {
	case c.null, (k == kindPercent || k == kindNumber) && !finite(c):
		return append(b, "null"...)
	case k == kindText:
		s, _ := json.Marshal(c.s)
		return append(b, s...)
	case k == kindQuantity || k == kindMoney || k == kindDate || k == kindTime:
		b = append(b, '"')
		b = appendPlain(b, k, c, loc)
		return append(b, '"')
	default:
		return appendPlain(b, k, c, loc)
	}
}
