package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// nabPublishedRaw reads a published detector's raw standard-profile score per file
// from dir/results/<detector>/<detector>_standard_scores.csv, NAB's own output.
func nabPublishedRaw(dir, detector string) (map[string]float64, error) {
	path := filepath.Join(dir, "results", detector, detector+"_standard_scores.csv")
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	header := strings.Split(strings.TrimSpace(lines[0]), ",")
	fileCol, scoreCol := slices.Index(header, "File"), slices.Index(header, "Score")
	if fileCol < 0 || scoreCol < 0 {
		return nil, fmt.Errorf("%s: want File and Score columns in header %v", path, header)
	}
	out := make(map[string]float64)
	for i, line := range lines[1:] {
		rec := strings.Split(strings.TrimSpace(line), ",")
		if len(rec) != len(header) || !strings.Contains(rec[fileCol], "/") {
			continue // the Totals row
		}
		v, err := strconv.ParseFloat(rec[scoreCol], 64)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, i+2, err)
		}
		out[rec[fileCol]] = v
	}
	return out, nil
}

// writeNABCategories prints, per category, the raw standard-profile score at the
// threshold, the windows found and the FP rows, beside a published detector's raw
// score when one is given (nil leaves that column out): where a detector gains
// and loses points.
func writeNABCategories(out io.Writer, files []nabFile, scores [][]float64, threshold float64, published map[string]float64, publishedName string) {
	type sums struct {
		raw, pub             float64
		found, windows, nfps int
	}
	var cats []string
	by := make(map[string]*sums)
	for j, f := range files {
		cat := nabCategory(f)
		if by[cat] == nil {
			cats = append(cats, cat)
			by[cat] = &sums{}
		}
		var c nabCorpus
		c.add(f, scores[j])
		r := c.scoreAt(nabProfiles[0], threshold)
		s := by[cat]
		s.raw += r.Raw
		s.found += r.Detected
		s.windows += r.Windows
		s.nfps += r.FP
		s.pub += published[f.Name]
	}
	slices.Sort(cats)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	head := "category\traw score\twindows found\tFP rows\t"
	if published != nil {
		head += publishedName + " raw score\t"
	}
	fmt.Fprintln(tw, head)
	for _, cat := range cats {
		s := by[cat]
		fmt.Fprintf(tw, "%s\t%.2f\t%d/%d\t%d\t", cat, s.raw, s.found, s.windows, s.nfps)
		if published != nil {
			fmt.Fprintf(tw, "%.2f\t", s.pub)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}
