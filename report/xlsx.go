package report

import (
	"archive/zip"
	"compress/flate"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// maxXLSXCharts caps the charts of a workbook: one per series for the first ones,
// so that a report of thousands of series keeps a readable chart sheet and a
// bounded memory.
const maxXLSXCharts = 8

// maxXLSXBars caps the rows a bar chart shows.
const maxXLSXBars = 40

// chartSheet names the sheet holding the charts. The data sheet is streamed, and a
// streamed sheet takes no chart once flushed.
const chartSheet = "Charts"

// excelEpoch is day zero of Excel's 1900 date system (with its leap-year bug,
// which only dates before March 1900 see).
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// writeXLSX writes t as a workbook: the data sheet streamed row by row with typed,
// formatted cells, a frozen header, an autofilter (as a table) and column widths;
// and a sheet of native line or bar charts of the first series.
func writeXLSX(w io.Writer, h Header, t *table) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	f.SetDocProps(&excelize.DocProperties{Title: h.Title, Creator: "usage"})
	if err := f.SetSheetName("Sheet1", t.sheet); err != nil {
		return err
	}
	st, err := newXLSXStyles(f)
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(t.sheet)
	if err != nil {
		return err
	}
	for i, c := range t.columns {
		if err := sw.SetColWidth(i+1, i+1, c.width+2); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2",
		ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	values := make([]any, len(t.columns))
	for i, c := range t.columns {
		values[i] = excelize.Cell{StyleID: st.header, Value: c.title}
	}
	if err := sw.SetRow("A1", values); err != nil {
		return err
	}
	plan := newChartPlan(t)
	zones := map[string]*time.Location{}
	n := 1
	cellRef := make([]byte, 0, 16)
	err = t.rows(func(row []cell) error {
		n++
		loc := t.rowLocation(row, zones)
		currency := ""
		if t.currency >= 0 {
			currency = row[t.currency].s
		}
		for i, c := range t.columns {
			v, err := st.value(c.kind, row[i], loc, currency)
			if err != nil {
				return err
			}
			values[i] = v
		}
		plan.add(n, row)
		cellRef = strconv.AppendInt(append(cellRef[:0], 'A'), int64(n), 10)
		return sw.SetRow(string(cellRef), values)
	})
	if err != nil {
		return err
	}
	last, _ := excelize.CoordinatesToCellName(len(t.columns), max(n, 2))
	if err := sw.AddTable(&excelize.Table{Range: "A1:" + last, Name: "Report",
		StyleName: "TableStyleLight1"}); err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	if err := plan.draw(f, t); err != nil {
		return err
	}
	// excelize builds the package in a buffer before writing it out, which for a
	// large report would hold the whole file in memory: the zip writer it is given
	// here writes straight to w instead, leaving that buffer empty. Deflate at its
	// fastest level, as a report is written once and its sheet is large.
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter {
		zw := zip.NewWriter(w)
		zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
			return flate.NewWriter(out, flate.BestSpeed)
		})
		return zw
	})
	return f.Write(io.Discard)
}

// xlsxStyles are the workbook's cell styles, made once per workbook.
type xlsxStyles struct {
	f                                                  *excelize.File
	header, quantity, whole, percent, number, int, day int
	instant                                            int
	money                                              map[string]int
}

func newXLSXStyles(f *excelize.File) (*xlsxStyles, error) {
	st := &xlsxStyles{f: f, money: map[string]int{}}
	custom := func(format string) (int, error) {
		return f.NewStyle(&excelize.Style{CustomNumFmt: &format})
	}
	var err error
	if st.header, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDE4EE"}}}); err != nil {
		return nil, err
	}
	for _, s := range []struct {
		id     *int
		format string
	}{
		{&st.quantity, "#,##0.0#####"}, {&st.whole, "#,##0"}, {&st.percent, "0.0%"},
		{&st.number, "#,##0.00"}, {&st.int, "0"}, {&st.day, "yyyy-mm-dd"},
		{&st.instant, "yyyy-mm-dd hh:mm"},
	} {
		if *s.id, err = custom(s.format); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// moneyStyle returns the style of amounts of a currency: "€"#,##0.00 for euros, the
// code after the amount for others.
func (st *xlsxStyles) moneyStyle(currency string) (int, error) {
	if id, ok := st.money[currency]; ok {
		return id, nil
	}
	code := strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' {
			return r
		}
		return -1
	}, currency)
	format := `#,##0.00`
	switch {
	case code == "EUR":
		format = `"€"#,##0.00;-"€"#,##0.00`
	case code != "":
		format = `#,##0.00 "` + code + `"`
	}
	id, err := st.f.NewStyle(&excelize.Style{CustomNumFmt: &format})
	st.money[currency] = id
	return id, err
}

// value returns a cell for the stream writer: numbers as numeric cells, text
// neutralised against formula injection, dates and times as date serials in the
// row's time zone.
func (st *xlsxStyles) value(k kind, c cell, loc *time.Location, currency string) (any, error) {
	if c.null {
		return nil, nil
	}
	switch k {
	case kindText:
		return neutralise(c.s), nil
	case kindQuantity:
		v := c.d.InexactFloat64()
		if c.d.IsInteger() {
			return excelize.Cell{StyleID: st.whole, Value: v}, nil
		}
		return excelize.Cell{StyleID: st.quantity, Value: v}, nil
	case kindMoney:
		id, err := st.moneyStyle(currency)
		return excelize.Cell{StyleID: id, Value: c.d.InexactFloat64()}, err
	case kindPercent:
		if !finite(c) {
			return nil, nil
		}
		return excelize.Cell{StyleID: st.percent, Value: c.f / 100}, nil
	case kindNumber:
		if !finite(c) {
			return nil, nil
		}
		return excelize.Cell{StyleID: st.number, Value: c.f}, nil
	case kindInt:
		return excelize.Cell{StyleID: st.int, Value: c.i}, nil
	case kindDate:
		y, m, d := c.t.In(loc).Date()
		return excelize.Cell{StyleID: st.day, Value: serial(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))}, nil
	case kindTime:
		return excelize.Cell{StyleID: st.instant, Value: serial(c.t.In(loc))}, nil
	case kindBool:
		return c.b, nil
	}
	return nil, nil
}

// serial returns t's wall clock as an Excel date serial: days since excelEpoch.
func serial(t time.Time) float64 {
	wall := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	return wall.Sub(excelEpoch).Hours() / 24
}
