package report

import (
	"archive/zip"
	"bytes"
	"fmt"
	"html"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// workbook is a rendered workbook opened back, with its package's parts.
type workbook struct {
	*excelize.File
	parts map[string]string
}

func openXLSX(t *testing.T, r Report) workbook {
	t.Helper()
	raw := render(t, r, XLSX)
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("excelize cannot open the workbook: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	z, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string]string{}
	for _, zf := range z.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		parts[zf.Name] = html.UnescapeString(string(b))
	}
	return workbook{f, parts}
}

// number returns a cell's raw value, failing unless it is a numeric cell.
func (w workbook) number(t *testing.T, sheet, ref string) float64 {
	t.Helper()
	typ, err := w.GetCellType(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Fatalf("%s!%s is of type %v, want a number", sheet, ref, typ)
	}
	raw, _ := w.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		t.Fatalf("%s!%s = %q, want a number", sheet, ref, raw)
	}
	return v
}

func (w workbook) numFmt(t *testing.T, sheet, ref string) string {
	t.Helper()
	id, err := w.GetCellStyle(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	st, err := w.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if st.CustomNumFmt == nil {
		return ""
	}
	return *st.CustomNumFmt
}

func TestXLSXSummaryHasTypedFormattedCells(t *testing.T) {
	w := openXLSX(t, summaryFixture())
	if got := w.GetSheetList(); len(got) != 2 || got[0] != "Summary" || got[1] != chartSheet {
		t.Fatalf("sheets = %q", got)
	}
	if v, _ := w.GetCellValue("Summary", "G1"); v != "Used" {
		t.Errorf("G1 = %q, want the header Used", v)
	}
	for _, c := range []struct {
		ref    string
		value  float64
		format string
	}{
		{"G2", 12500, "#,##0"},
		{"G3", 42.5, "#,##0.0#####"},
		{"I2", 1.25, "0.0%"},
		{"K2", 25, `"€"#,##0.00;-"€"#,##0.00`},
		{"K4", -1.5, `"€"#,##0.00;-"€"#,##0.00`},
		{"G4", -3, "#,##0"},
		{"D2", serial(march), "yyyy-mm-dd"},
	} {
		if got := w.number(t, "Summary", c.ref); got != c.value {
			t.Errorf("%s = %v, want %v", c.ref, got, c.value)
		}
		if got := w.numFmt(t, "Summary", c.ref); got != c.format {
			t.Errorf("%s has format %q, want %q", c.ref, got, c.format)
		}
	}
	if day, _ := excelize.ExcelDateToTime(w.number(t, "Summary", "E2"), false); !day.Equal(time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("period end = %v, want 2026-03-31", day)
	}
	if v, _ := w.GetCellValue("Summary", "H4"); v != "" {
		t.Errorf("an unlimited quota's limit = %q, want empty", v)
	}
}

func TestXLSXHasNoFormulaFromUserData(t *testing.T) {
	w := openXLSX(t, summaryFixture())
	rows, err := w.GetRows("Summary")
	if err != nil {
		t.Fatal(err)
	}
	for i, inj := range injections {
		row := rows[4+i]
		if row[0] != "'"+inj || row[1] != "'"+inj {
			t.Errorf("row %d: subject %q metric %q, want %q prefixed with a quote", 5+i, row[0], row[1], inj)
		}
	}
	for name, part := range w.parts {
		if strings.HasPrefix(name, "xl/worksheets/") && regexp.MustCompile(`<f[ >]`).MatchString(part) {
			t.Errorf("%s holds a formula element", name)
		}
	}
	// The same text in a numeric column of ours is a number.
	if got := w.number(t, "Summary", "G4"); got != -3 {
		t.Errorf("G4 = %v, want -3", got)
	}
}

func TestXLSXHasAFrozenHeaderAnAutofilterAndWidths(t *testing.T) {
	w := openXLSX(t, summaryFixture())
	panes, err := w.GetPanes("Summary")
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes = %+v, %v; want the first row frozen", panes, err)
	}
	table := w.parts["xl/tables/table1.xml"]
	last := 1 + 3 + len(injections)
	if !strings.Contains(table, fmt.Sprintf(`ref="A1:M%d"`, last)) || !strings.Contains(table, "<autoFilter") {
		t.Errorf("table part = %q, want an autofilter over A1:M%d", table, last)
	}
	if width, _ := w.GetColWidth("Summary", "A"); width != 20 {
		t.Errorf("column A width = %v, want 20", width)
	}
}

func TestXLSXDetailedChartsUsageAgainstTheQuota(t *testing.T) {
	w := openXLSX(t, detailedFixture(5))
	charts := 0
	for name := range w.parts {
		if strings.HasPrefix(name, "xl/charts/chart") {
			charts++
		}
	}
	if charts != maxXLSXCharts {
		t.Errorf("%d charts, want %d (one per series, capped)", charts, maxXLSXCharts)
	}
	c := w.parts["xl/charts/chart1.xml"]
	for _, want := range []string{"<lineChart>", `'Daily usage'!$G$2:$G$32`, `'Daily usage'!$H$2:$H$32`,
		`'Daily usage'!$E$2:$E$32`} {
		if !strings.Contains(c, want) {
			t.Errorf("chart1.xml lacks %s", want)
		}
	}
	if !strings.Contains(w.parts["xl/charts/chart2.xml"], `'Daily usage'!$G$33:$G$63`) {
		t.Error("the second chart does not reference the second series' rows")
	}
	if got := w.number(t, "Daily usage", "G32"); got != 775 {
		t.Errorf("G32 = %v, want 775", got)
	}
	rows, _ := w.GetRows("Daily usage")
	if len(rows) != 1+5*2*31 {
		t.Errorf("%d rows, want %d", len(rows), 1+5*2*31)
	}
}

func TestXLSXSummaryChartsPercentOfQuota(t *testing.T) {
	w := openXLSX(t, summaryFixture())
	c := w.parts["xl/charts/chart1.xml"]
	want := fmt.Sprintf(`'Summary'!$I$2:$I$%d`, 1+3+len(injections))
	if !strings.Contains(c, "<barChart>") || !strings.Contains(c, want) {
		t.Errorf("chart1.xml = %.300s…, want a bar chart of %s", c, want)
	}
}
