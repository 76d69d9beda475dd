package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestNABPublishedRawReadsPerFileScoresAndSkipsTotals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "results", "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	csv := "Detector,Profile,File,Threshold,Score,TP,TN,FP,FN,Total_Count\n" +
		"d,standard,a/x.csv,0.5,1.25,1,10,0,0,11\n" +
		"d,standard,b/y.csv,0.5,-0.11,0,10,1,0,11\n" +
		"d,standard,Totals,0.5,1.14,1,20,1,0,22\n"
	if err := os.WriteFile(filepath.Join(dir, "results", "d", "d_standard_scores.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := nabPublishedRaw(dir, "d")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["a/x.csv"] != 1.25 || got["b/y.csv"] != -0.11 {
		t.Errorf("published = %v, want a/x.csv 1.25 and b/y.csv -0.11 only", got)
	}
	if _, err := nabPublishedRaw(dir, "missing"); err == nil {
		t.Error("no error for a detector without results")
	}
}

func TestNABCategoriesSumFilesOfEachCategory(t *testing.T) {
	t.Parallel()
	// Two files of category a, each with one window; one detected at its left
	// edge (worth 1), one missed (−1); one file of category b with one FP row far
	// from any window (−0.11).
	mk := func(name string, windows []nabWindow) nabFile {
		f := nabFile{Name: name, Windows: windows}
		for i := range 100 {
			f.Times = append(f.Times, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i)*time.Minute))
			f.Values = append(f.Values, 0)
		}
		return f
	}
	files := []nabFile{
		mk("a/1.csv", []nabWindow{{Left: 50, Right: 59}}),
		mk("a/2.csv", []nabWindow{{Left: 50, Right: 59}}),
		mk("b/3.csv", nil),
	}
	scores := [][]float64{make([]float64, 100), make([]float64, 100), make([]float64, 100)}
	scores[0][50] = 1
	scores[2][80] = 1
	var out strings.Builder
	writeNABCategories(&out, files, scores, 0.5, map[string]float64{"a/1.csv": 0.5, "b/3.csv": 2}, "P")
	for _, want := range []string{`(?m)^a\s+0\.00\s+1/2\s+0\s+0\.50\s*$`, `(?m)^b\s+-0\.11\s+0/0\s+1\s+2\.00\s*$`, `P raw score`} {
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("no line matching %s in:\n%s", want, out.String())
		}
	}
}
