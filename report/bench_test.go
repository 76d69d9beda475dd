package report

import (
	"io"
	"testing"
)

// BenchmarkDetailedCSV writes a detailed report of 62 series of 31 days as CSV.
func BenchmarkDetailedCSV(b *testing.B) {
	benchmarkDetailed(b, CSV)
}

// BenchmarkDetailedXLSX writes the same report as an XLSX workbook.
func BenchmarkDetailedXLSX(b *testing.B) {
	benchmarkDetailed(b, XLSX)
}

func benchmarkDetailed(b *testing.B, f Format) {
	r := detailedFixture(31)
	var series []Series
	for s := range r.Series {
		series = append(series, s)
	}
	r.Series = func(yield func(Series, error) bool) {
		for _, s := range series {
			if !yield(s, nil) {
				return
			}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, r, f); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*31*2*31)/b.Elapsed().Seconds(), "rows/s")
}
