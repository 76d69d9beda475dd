package report

import (
	"math"
	"strconv"
	"time"
)

// The text forms shared by CSV, JSON and PDF.
const (
	dateLayout = "2006-01-02"
	timeLayout = time.RFC3339
)

// appendPlain appends the cell as plain text (no thousands separators, no
// currency sign), as CSV and JSON write it; loc is the row's time zone. Numbers
// that are not finite append nothing.
func appendPlain(b []byte, k kind, c cell, loc *time.Location) []byte {
	if c.null {
		return b
	}
	switch k {
	case kindText:
		return append(b, c.s...)
	case kindQuantity:
		return appendDecimal(b, c.d, 0)
	case kindMoney:
		return appendDecimal(b, c.d, 2)
	case kindPercent, kindNumber:
		if math.IsNaN(c.f) || math.IsInf(c.f, 0) {
			return b
		}
		return strconv.AppendFloat(b, c.f, 'f', -1, 64)
	case kindInt:
		return strconv.AppendInt(b, c.i, 10)
	case kindDate:
		return c.t.In(loc).AppendFormat(b, dateLayout)
	case kindTime:
		return c.t.In(loc).AppendFormat(b, timeLayout)
	case kindBool:
		return strconv.AppendBool(b, c.b)
	}
	return b
}

// finite reports whether a number cell can be written as a number.
func finite(c cell) bool { return !math.IsNaN(c.f) && !math.IsInf(c.f, 0) }
