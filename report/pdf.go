package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// The PDF's page layout, in millimetres on landscape A4.
const (
	pdfMargin  = 12.0
	pdfRowH    = 5.5
	pdfFont    = "go"
	pdfBottom  = 16.0 // room kept for the page number
	pdfCharts  = 3    // line charts drawn, one per series, for the first series
	pdfMaxBars = 24
)

// writePDF writes t as a landscape A4 document: a title block, a chart of usage
// against the quota, and the table, paginated with its header repeated on every
// page, and page numbers. It embeds the Go fonts (UTF-8 TrueType, from
// golang.org/x/image), so that €, accents, Greek and Cyrillic print.
func writePDF(w io.Writer, h Header, t *table) error {
	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.SetCreator("usage", true)
	pdf.SetTitle(h.Title, true)
	pdf.AddUTF8FontFromBytes(pdfFont, "", goregular.TTF)
	pdf.AddUTF8FontFromBytes(pdfFont, "B", gobold.TTF)
	pdf.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	pdf.SetAutoPageBreak(false, pdfBottom)
	pdf.AliasNbPages("{nb}")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-pdfBottom + 4)
		pdf.SetFont(pdfFont, "", 8)
		pdf.SetTextColor(90, 90, 90)
		pdf.CellFormat(0, 6, fmt.Sprintf("Page %d of {nb}", pdf.PageNo()), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	titleBlock(pdf, h)

	cols := make([]int, len(t.pdf))
	for i, key := range t.pdf {
		cols[i] = t.col(key)
	}
	// The chart comes before the table, and a detailed report's series can be read
	// only once: the rows are collected as text while the chart's points are noted.
	var rows [][]string
	pc := newPDFChart(t, h.Subject != "")
	zones := map[string]*time.Location{}
	err := t.rows(func(row []cell) error {
		loc := t.rowLocation(row, zones)
		currency := ""
		if t.currency >= 0 {
			currency = row[t.currency].s
		}
		out := make([]string, len(cols))
		for i, c := range cols {
			out[i] = pdfText(t.columns[c].kind, row[c], loc, currency)
		}
		rows = append(rows, out)
		pc.add(row, loc)
		return nil
	})
	if err != nil {
		return err
	}
	pc.draw(pdf)
	pdfTable(pdf, t, cols, rows)
	if err := pdf.Error(); err != nil {
		return err
	}
	return pdf.Output(w)
}

// titleBlock writes the report's title and what it covers.
func titleBlock(pdf *fpdf.Fpdf, h Header) {
	loc := h.location()
	pdf.SetFont(pdfFont, "B", 16)
	pdf.SetTextColor(20, 40, 80)
	pdf.CellFormat(0, 9, h.Title, "", 1, "L", false, 0, "")
	pdf.SetFont(pdfFont, "", 9.5)
	pdf.SetTextColor(40, 40, 40)
	subject := h.Subject
	if subject == "" {
		subject = "all subjects"
	}
	lines := []string{
		"Subject: " + subject,
		fmt.Sprintf("Period: %s to %s (%s)", h.From.In(loc).Format(dateLayout),
			h.To.In(loc).Add(-time.Nanosecond).Format(dateLayout), loc.String()),
	}
	if h.Currency != "" {
		lines = append(lines, "Currency: "+h.Currency)
	}
	lines = append(lines, "Generated: "+h.GeneratedAt.In(loc).Format("2006-01-02 15:04 MST"))
	for _, l := range lines {
		pdf.CellFormat(0, 5, l, "", 1, "L", false, 0, "")
	}
	pdf.Ln(3)
}

// pdfText formats a cell for people: thousands separators, currency signs, dates
// in the row's zone. Text is printed as it is: a PDF runs no formulas.
func pdfText(k kind, c cell, loc *time.Location, currency string) string {
	if c.null {
		return ""
	}
	switch k {
	case kindText:
		return c.s
	case kindQuantity:
		return group(c.d.String())
	case kindMoney:
		s := group(c.d.StringFixed(max(2, -c.d.Exponent())))
		neg := strings.HasPrefix(s, "-")
		s = strings.TrimPrefix(s, "-")
		switch currency {
		case "EUR":
			s = "€" + s
		case "":
		default:
			s += " " + currency
		}
		if neg {
			s = "-" + s
		}
		return s
	case kindPercent:
		if !finite(c) {
			return ""
		}
		return strconv.FormatFloat(c.f, 'f', 1, 64) + " %"
	case kindNumber:
		if !finite(c) {
			return ""
		}
		return group(strconv.FormatFloat(c.f, 'f', 2, 64))
	case kindInt:
		return strconv.FormatInt(c.i, 10)
	case kindDate:
		return c.t.In(loc).Format(dateLayout)
	case kindTime:
		return c.t.In(loc).Format("2006-01-02 15:04")
	case kindBool:
		if c.b {
			return "yes"
		}
		return "no"
	}
	return ""
}

// group inserts thousands separators into a plain decimal: "-1234567.5" becomes
// "-1,234,567.5".
func group(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if hasFrac {
		b.WriteString("." + frac)
	}
	return sign + b.String()
}

// pdfTable writes the rows under a header that is repeated on every page.
func pdfTable(pdf *fpdf.Fpdf, t *table, cols []int, rows [][]string) {
	pageW, pageH := pdf.GetPageSize()
	avail := pageW - 2*pdfMargin
	var total float64
	for _, c := range cols {
		total += t.columns[c].width
	}
	widths := make([]float64, len(cols))
	for i, c := range cols {
		widths[i] = avail * t.columns[c].width / total
	}
	header := func() {
		pdf.SetFont(pdfFont, "B", 8)
		pdf.SetFillColor(221, 228, 238)
		pdf.SetTextColor(20, 20, 20)
		pdf.SetDrawColor(120, 120, 120)
		pdf.SetLineWidth(0.2)
		for i, c := range cols {
			pdf.CellFormat(widths[i], pdfRowH+1, fit(pdf, t.columns[c].title, widths[i]), "B", 0,
				align(t.columns[c].kind), true, 0, "")
		}
		pdf.Ln(-1)
		pdf.SetFont(pdfFont, "", 8)
	}
	if pdf.GetY()+3*pdfRowH > pageH-pdfBottom {
		pdf.AddPage()
	}
	header()
	if len(rows) == 0 {
		pdf.CellFormat(avail, pdfRowH, "No data for this period.", "", 1, "L", false, 0, "")
	}
	for r, row := range rows {
		if pdf.GetY()+pdfRowH > pageH-pdfBottom {
			pdf.AddPage()
			header()
		}
		fill := r%2 == 1
		pdf.SetFillColor(245, 247, 250)
		for i, c := range cols {
			pdf.CellFormat(widths[i], pdfRowH, fit(pdf, row[i], widths[i]), "", 0,
				align(t.columns[c].kind), fill, 0, "")
		}
		pdf.Ln(-1)
	}
}

func align(k kind) string {
	if k.numeric() {
		return "R"
	}
	return "L"
}

// fit shortens s with an ellipsis until it fits in width, less the cell padding.
func fit(pdf *fpdf.Fpdf, s string, width float64) string {
	room := width - 2.2
	if pdf.GetStringWidth(s) <= room {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && pdf.GetStringWidth(string(r)+"…") > room {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

// niceMax returns a round number at or above v for a chart's scale.
func niceMax(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
