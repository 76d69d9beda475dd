package report

import (
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"
)

// chartPlan notes, while rows are streamed, the row ranges the charts will
// reference: the first maxXLSXCharts groups, or the first maxXLSXBars rows.
type chartPlan struct {
	spec   *chart
	groups []rowGroup
	key    string
	// charting is whether the rows of key are being charted.
	charting bool
}

// rowGroup is the rows [first, last] of one series, and its name.
type rowGroup struct {
	name        string
	first, last int
}

func newChartPlan(t *table) *chartPlan { return &chartPlan{spec: t.chart} }

// add notes that data row n holds row.
func (p *chartPlan) add(n int, row []cell) {
	if p.spec == nil {
		return
	}
	if p.spec.kind == chartBars {
		if len(p.groups) == 0 {
			p.groups = append(p.groups, rowGroup{name: p.spec.title, first: n})
		}
		if n-p.groups[0].first < maxXLSXBars {
			p.groups[0].last = n
		}
		return
	}
	var parts []string
	for _, g := range p.spec.group {
		parts = append(parts, row[g].s)
	}
	key := strings.Join(parts, " · ")
	if len(p.groups) > 0 && key == p.key {
		if p.charting {
			p.groups[len(p.groups)-1].last = n
		}
		return
	}
	p.key = key
	p.charting = len(p.groups) < maxXLSXCharts
	if p.charting {
		p.groups = append(p.groups, rowGroup{name: key, first: n, last: n})
	}
}

// draw adds the chart sheet to f, referencing the rows noted.
func (p *chartPlan) draw(f *excelize.File, t *table) error {
	if p.spec == nil || len(p.groups) == 0 {
		return nil
	}
	if _, err := f.NewSheet(chartSheet); err != nil {
		return err
	}
	ref := func(col, first, last int) string {
		name, _ := excelize.ColumnNumberToName(col + 1)
		return fmt.Sprintf("'%s'!$%s$%d:$%s$%d", t.sheet, name, first, name, last)
	}
	typ := excelize.Line
	if p.spec.kind == chartBars {
		typ = excelize.Bar
	}
	for i, g := range p.groups {
		c := &excelize.Chart{Type: typ, Dimension: excelize.ChartDimension{Width: 760, Height: 300},
			Title:        excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: neutralise(p.spec.title + ": " + g.name)}}},
			Legend:       excelize.ChartLegend{Position: "bottom"},
			ShowBlanksAs: "gap"}
		if p.spec.kind == chartBars {
			c.Title.Paragraph[0].Text = p.spec.title
		}
		for _, y := range p.spec.ys {
			header, _ := excelize.CoordinatesToCellName(y+1, 1)
			c.Series = append(c.Series, excelize.ChartSeries{
				Name:       fmt.Sprintf("'%s'!$%s", t.sheet, strings.Replace(header, "1", "$1", 1)),
				Categories: ref(p.spec.x, g.first, g.last),
				Values:     ref(y, g.first, g.last),
			})
		}
		if err := f.AddChart(chartSheet, fmt.Sprintf("A%d", 1+i*16), c); err != nil {
			return err
		}
	}
	return nil
}
