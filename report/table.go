package report

import (
	"time"

	"github.com/shopspring/decimal"
)

// kind is what a column holds, which decides how each format writes it.
type kind int

const (
	// kindText is text, often from user data: neutralised against formula
	// injection in CSV and XLSX.
	kindText kind = iota
	// kindQuantity is an exact amount of a metric's unit (decimal).
	kindQuantity
	// kindMoney is an exact amount of the currency named by the row's currency
	// column (decimal).
	kindMoney
	// kindPercent is a percentage such as 85.5 (float).
	kindPercent
	// kindNumber is a computed number such as a score or a forecast (float).
	kindNumber
	// kindInt is a whole number.
	kindInt
	// kindDate is a calendar day in the row's time zone.
	kindDate
	// kindTime is an instant, shown in the row's time zone.
	kindTime
	// kindBool is yes or no.
	kindBool
)

// numeric reports whether the kind is written as a number.
func (k kind) numeric() bool {
	return k == kindQuantity || k == kindMoney || k == kindPercent || k == kindNumber || k == kindInt
}

// column is one column of a report's table.
type column struct {
	// key names the column in CSV headers and JSON objects; title in XLSX and PDF.
	key, title string
	kind       kind
	// width is the column's width in characters.
	width float64
}

// cell is one value; which field is set depends on the column's kind.
type cell struct {
	s    string
	d    decimal.Decimal
	f    float64
	i    int64
	t    time.Time
	b    bool
	null bool
}

func text(s string) cell         { return cell{s: s} }
func dec(d decimal.Decimal) cell { return cell{d: d} }
func num(f float64) cell         { return cell{f: f} }
func integer(i int64) cell       { return cell{i: i} }
func at(t time.Time) cell        { return cell{t: t, null: t.IsZero()} }
func boolean(b bool) cell        { return cell{b: b} }
func none() cell                 { return cell{null: true} }
func decOrNone(d decimal.Decimal, ok bool) cell {
	if !ok {
		return none()
	}
	return dec(d)
}

// chartKind is how a table's chart draws its series.
type chartKind int

const (
	// chartLines draws, per group of rows, the y columns against the x column.
	chartLines chartKind = iota
	// chartBars draws one bar per row: the first y column, against a line at 100.
	chartBars
)

// chart says which columns a table's chart draws.
type chart struct {
	title string
	kind  chartKind
	// group are the columns whose values identify one chart (a subject's metric);
	// a new value starts a new chart.
	group []int
	// x is the category column; ys the plotted columns.
	x  int
	ys []int
}

// table is a report laid out as rows of typed cells, which every format renders.
type table struct {
	// sheet names the XLSX data sheet.
	sheet   string
	columns []column
	// zone and currency are the indexes of the columns holding each row's time
	// zone and currency, or -1.
	zone, currency int
	chart          *chart
	// pdf are the keys of the columns a PDF shows, which has less room.
	pdf []string
	// rows calls yield with each row in order; the slice may be reused between
	// calls. It returns the first error of yield or of producing the rows.
	rows func(yield func([]cell) error) error
}

// col returns the index of the column keyed key; it panics for a key the table
// does not have, which is a bug in this package.
func (t *table) col(key string) int {
	for i, c := range t.columns {
		if c.key == key {
			return i
		}
	}
	panic("report: no column " + key)
}

// rowLocation returns the time zone of a row, from its zone column.
func (t *table) rowLocation(row []cell, cache map[string]*time.Location) *time.Location {
	if t.zone < 0 {
		return time.UTC
	}
	name := row[t.zone].s
	if loc, ok := cache[name]; ok {
		return loc
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "" {
		loc = time.UTC
	}
	cache[name] = loc
	return loc
}
