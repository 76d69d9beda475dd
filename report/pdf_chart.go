package report

import (
	"fmt"
	"math"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
)

// pdfChart collects, while rows are read, what the PDF's charts draw: the first
// pdfCharts series of a line chart, or the first pdfMaxBars rows of a bar chart.
type pdfChart struct {
	spec   *chart
	t      *table
	series []*pdfSeries
	key    string
	// oneSubject leaves the subject out of bar labels.
	oneSubject bool
}

// pdfSeries is one chart's points: labels along x, and per y column the values
// (NaN for none).
type pdfSeries struct {
	name   string
	labels []string
	values [][]float64
}

// The colours of the lines, in the order of the chart's y columns.
var pdfColours = [][3]int{{31, 97, 170}, {200, 60, 50}, {120, 120, 120}}

func newPDFChart(t *table, oneSubject bool) *pdfChart {
	return &pdfChart{spec: t.chart, t: t, oneSubject: oneSubject}
}

func (c *pdfChart) add(row []cell, loc *time.Location) {
	if c.spec == nil {
		return
	}
	if c.spec.kind == chartBars {
		if len(c.series) == 0 {
			c.series = append(c.series, &pdfSeries{name: c.spec.title, values: make([][]float64, 1)})
		}
		s := c.series[0]
		if len(s.labels) < pdfMaxBars {
			label := row[c.spec.x].s
			if !c.oneSubject {
				label = row[0].s + " · " + label
			}
			s.labels = append(s.labels, label)
			s.values[0] = append(s.values[0], chartValue(c.t.columns[c.spec.ys[0]].kind, row[c.spec.ys[0]]))
		}
		return
	}
	var parts []string
	for _, g := range c.spec.group {
		parts = append(parts, row[g].s)
	}
	key := strings.Join(parts, " · ")
	if key != c.key {
		c.key = key
		if len(c.series) >= pdfCharts {
			c.key = "\x00full"
			return
		}
		c.series = append(c.series, &pdfSeries{name: key, values: make([][]float64, len(c.spec.ys))})
	}
	if c.key == "\x00full" {
		return
	}
	s := c.series[len(c.series)-1]
	s.labels = append(s.labels, pdfText(c.t.columns[c.spec.x].kind, row[c.spec.x], loc, ""))
	for i, y := range c.spec.ys {
		s.values[i] = append(s.values[i], chartValue(c.t.columns[y].kind, row[y]))
	}
}

// chartValue returns a cell's value as a float, NaN for none.
func chartValue(k kind, c cell) float64 {
	switch {
	case c.null:
		return math.NaN()
	case k == kindQuantity || k == kindMoney:
		return c.d.InexactFloat64()
	case k == kindInt:
		return float64(c.i)
	default:
		return c.f
	}
}

// draw draws the charts, each 62 mm high, starting a page when one does not fit.
func (c *pdfChart) draw(pdf *fpdf.Fpdf) {
	const height = 62.0
	pageW, pageH := pdf.GetPageSize()
	for _, s := range c.series {
		if len(s.labels) == 0 {
			continue
		}
		if pdf.GetY()+height+10 > pageH-pdfBottom {
			pdf.AddPage()
		}
		pdf.SetFont(pdfFont, "B", 10)
		pdf.SetTextColor(20, 40, 80)
		title := c.spec.title
		if c.spec.kind == chartLines {
			title += ": " + s.name
		}
		pdf.CellFormat(0, 6, title, "", 1, "L", false, 0, "")
		x0, y0 := pdfMargin+14, pdf.GetY()+2
		w, h := pageW-2*pdfMargin-18, height-14
		if c.spec.kind == chartBars {
			c.bars(pdf, s, x0, y0, w, h)
		} else {
			c.lines(pdf, s, x0, y0, w, h)
		}
		pdf.SetY(y0 + h + 14)
	}
}

// axes draws the frame, the grid and the value labels of a chart scaled from lo
// to top.
func axes(pdf *fpdf.Fpdf, x0, y0, w, h, lo, top float64) {
	pdf.SetDrawColor(200, 200, 200)
	pdf.SetLineWidth(0.1)
	pdf.SetFont(pdfFont, "", 7)
	pdf.SetTextColor(80, 80, 80)
	for i := 0; i <= 4; i++ {
		y := y0 + h - h*float64(i)/4
		pdf.Line(x0, y, x0+w, y)
		pdf.SetXY(x0-14, y-2)
		pdf.CellFormat(13, 4, group(trimFloat(lo+(top-lo)*float64(i)/4)), "", 0, "R", false, 0, "")
	}
	pdf.SetDrawColor(60, 60, 60)
	pdf.SetLineWidth(0.3)
	pdf.Line(x0, y0, x0, y0+h)
	pdf.Line(x0, y0+h, x0+w, y0+h)
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

// lines draws each y column as a polyline, with a legend and the first and last
// x labels.
func (c *pdfChart) lines(pdf *fpdf.Fpdf, s *pdfSeries, x0, y0, w, h float64) {
	lo, top := 0.0, 0.0
	for _, vs := range s.values {
		for _, v := range vs {
			if !math.IsNaN(v) {
				lo, top = min(lo, v), max(top, v)
			}
		}
	}
	// Forecast intervals may reach below zero: the scale then extends down.
	if lo < 0 {
		lo = -niceMax(-lo)
	}
	top = niceMax(top)
	axes(pdf, x0, y0, w, h, lo, top)
	yAt := func(v float64) float64 { return y0 + h - h*(v-lo)/(top-lo) }
	n := len(s.labels)
	xAt := func(i int) float64 {
		if n == 1 {
			return x0 + w/2
		}
		return x0 + w*float64(i)/float64(n-1)
	}
	for j, vs := range s.values {
		col := pdfColours[j%len(pdfColours)]
		pdf.SetDrawColor(col[0], col[1], col[2])
		pdf.SetLineWidth(0.6)
		if j > 0 {
			pdf.SetDashPattern([]float64{1.5, 1}, 0)
		}
		for i := 1; i < n; i++ {
			if math.IsNaN(vs[i-1]) || math.IsNaN(vs[i]) {
				continue
			}
			pdf.Line(xAt(i-1), yAt(vs[i-1]), xAt(i), yAt(vs[i]))
		}
		pdf.SetDashPattern(nil, 0)
		// Legend entry.
		lx := x0 + float64(j)*55
		pdf.Line(lx, y0+h+8, lx+8, y0+h+8)
		pdf.SetXY(lx+9, y0+h+6)
		pdf.SetTextColor(40, 40, 40)
		pdf.CellFormat(44, 4, c.t.columns[c.spec.ys[j]].title, "", 0, "L", false, 0, "")
	}
	pdf.SetFont(pdfFont, "", 7)
	pdf.SetXY(x0-2, y0+h+1)
	pdf.CellFormat(40, 4, s.labels[0], "", 0, "L", false, 0, "")
	pdf.SetXY(x0+w-40, y0+h+1)
	pdf.CellFormat(40, 4, s.labels[n-1], "", 0, "R", false, 0, "")
}

// bars draws one horizontal bar per row against a red line at 100.
func (c *pdfChart) bars(pdf *fpdf.Fpdf, s *pdfSeries, x0, y0, w, h float64) {
	labelW := 50.0
	x0, w = x0+labelW-14, w-labelW+14
	top := 100.0
	for _, v := range s.values[0] {
		if !math.IsNaN(v) {
			top = max(top, v)
		}
	}
	top = niceMax(top)
	n := len(s.labels)
	barH := min(h/float64(n), 8)
	pdf.SetFont(pdfFont, "", 7)
	for i, v := range s.values[0] {
		y := y0 + float64(i)*barH
		pdf.SetTextColor(40, 40, 40)
		pdf.SetXY(x0-labelW, y)
		pdf.CellFormat(labelW-2, barH, fit(pdf, s.labels[i], labelW-2), "", 0, "R", false, 0, "")
		if math.IsNaN(v) {
			continue
		}
		col := pdfColours[0]
		if v >= 100 {
			col = pdfColours[1]
		}
		pdf.SetFillColor(col[0], col[1], col[2])
		pdf.Rect(x0, y+barH*0.15, w*v/top, barH*0.7, "F")
		pdf.SetXY(x0+w*v/top+1, y)
		pdf.CellFormat(20, barH, trimFloat(v)+" %", "", 0, "L", false, 0, "")
	}
	pdf.SetDrawColor(200, 60, 50)
	pdf.SetLineWidth(0.5)
	pdf.Line(x0+w*100/top, y0, x0+w*100/top, y0+float64(n)*barH)
	pdf.SetDrawColor(60, 60, 60)
	pdf.SetLineWidth(0.3)
	pdf.Line(x0, y0, x0, y0+float64(n)*barH)
	pdf.SetXY(x0+w*100/top-10, y0+float64(n)*barH)
	pdf.SetTextColor(200, 60, 50)
	pdf.CellFormat(20, 4, "quota", "", 0, "C", false, 0, "")
}
