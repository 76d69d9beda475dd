package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// nabTimeLayouts are the timestamp forms found in NAB data and label files.
var nabTimeLayouts = []string{"2006-01-02 15:04:05.999999", "2006-01-02 15:04:05", time.RFC3339}

// nabFile is one series of a NAB-layout corpus with its labelled windows.
type nabFile struct {
	Name    string // "category/file.csv", the key in the labels file
	Times   []time.Time
	Values  []float64
	Windows []nabWindow
}

// nabWindow is an anomaly window as inclusive row indices.
type nabWindow struct{ Left, Right int }

// loadNABCorpus reads every file named in the labels file from dir/data. labelsPath
// defaults to dir/labels/combined_windows.json.
func loadNABCorpus(dir, labelsPath string) ([]nabFile, error) {
	if labelsPath == "" {
		labelsPath = filepath.Join(dir, "labels", "combined_windows.json")
	}
	labels, err := readNABLabels(labelsPath)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(labels))
	for name := range labels {
		names = append(names, name)
	}
	slices.Sort(names)
	files := make([]nabFile, 0, len(names))
	for _, name := range names {
		times, cols, err := readNABCSV(filepath.Join(dir, "data", filepath.FromSlash(name)), "value")
		if err != nil {
			return nil, err
		}
		windows, err := nabWindowRows(times, labels[name])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		files = append(files, nabFile{Name: name, Times: times, Values: cols[0], Windows: windows})
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s names no data files", labelsPath)
	}
	return files, nil
}

// readNABLabels reads a combined_windows.json: file name → list of [start, end] timestamps.
func readNABLabels(path string) (map[string][][2]time.Time, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc map[string][][]string
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := make(map[string][][2]time.Time, len(doc))
	for name, windows := range doc {
		out[name] = make([][2]time.Time, 0, len(windows)) // files without windows count too
		for _, w := range windows {
			if len(w) != 2 {
				return nil, fmt.Errorf("%s: %s: window %v must have a start and an end", path, name, w)
			}
			start, err := parseNABTime(w[0])
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", path, name, err)
			}
			end, err := parseNABTime(w[1])
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", path, name, err)
			}
			out[name] = append(out[name], [2]time.Time{start, end})
		}
	}
	return out, nil
}

// nabWindowRows maps labelled windows to row indices. Like NAB it takes the first row
// whose timestamp equals each edge; labels from elsewhere that fall between rows get
// the first row at or after the start and the last row at or before the end.
func nabWindowRows(times []time.Time, windows [][2]time.Time) ([]nabWindow, error) {
	out := make([]nabWindow, 0, len(windows))
	for _, w := range windows {
		left := slices.IndexFunc(times, func(t time.Time) bool { return t.Equal(w[0]) })
		if left < 0 {
			left = slices.IndexFunc(times, func(t time.Time) bool { return t.After(w[0]) })
		}
		right := slices.IndexFunc(times, func(t time.Time) bool { return t.Equal(w[1]) })
		if right < 0 {
			right = slices.IndexFunc(times, func(t time.Time) bool { return t.After(w[1]) }) - 1
			if right < -1 {
				right = len(times) - 1
			}
		}
		if left < 0 || right < left {
			return nil, fmt.Errorf("window %v–%v holds no rows", w[0], w[1])
		}
		out = append(out, nabWindow{Left: left, Right: right})
	}
	slices.SortFunc(out, func(a, b nabWindow) int { return a.Left - b.Left })
	return out, nil
}

// readNABCSV reads the timestamp column and the named numeric columns of a CSV file
// with a header row, in row order: NAB files are not strictly time-ordered (one has a
// DST repeat, one steps back an hour), and NAB scores rows in file order. NAB's CSVs
// have no quoted fields, so lines are split on commas.
func readNABCSV(path string, columns ...string) ([]time.Time, [][]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return nil, nil, fmt.Errorf("%s: no header row: %v", path, sc.Err())
	}
	header := strings.Split(strings.TrimSpace(sc.Text()), ",")
	idx := make([]int, len(columns))
	for i, c := range columns {
		idx[i] = slices.Index(header, c)
		if idx[i] < 0 {
			return nil, nil, fmt.Errorf("%s: no %q column in header %v", path, c, header)
		}
	}
	tcol := slices.Index(header, "timestamp")
	if tcol < 0 {
		return nil, nil, fmt.Errorf("%s: no timestamp column in header %v", path, header)
	}
	var times []time.Time
	cols := make([][]float64, len(columns))
	for line := 2; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		rec := strings.Split(text, ",")
		if len(rec) != len(header) {
			return nil, nil, fmt.Errorf("%s:%d: %d fields, want %d", path, line, len(rec), len(header))
		}
		t, err := parseNABTime(rec[tcol])
		if err != nil {
			return nil, nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		times = append(times, t)
		for i, c := range idx {
			v, err := strconv.ParseFloat(strings.TrimSpace(rec[c]), 64)
			if err != nil {
				return nil, nil, fmt.Errorf("%s:%d: %w", path, line, err)
			}
			cols[i] = append(cols[i], v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return times, cols, nil
}

// parseNABTime parses NAB's "YYYY-MM-DD hh:mm:ss" (UTC), by hand for speed, and
// falls back to time.Parse for fractional seconds and RFC 3339.
func parseNABTime(s string) (time.Time, error) {
	if len(s) == 19 && s[4] == '-' && s[7] == '-' && s[10] == ' ' && s[13] == ':' && s[16] == ':' {
		var n [6]int
		ok := true
		for i, r := range [6][2]int{{0, 4}, {5, 7}, {8, 10}, {11, 13}, {14, 16}, {17, 19}} {
			v, err := strconv.Atoi(s[r[0]:r[1]])
			ok = ok && err == nil
			n[i] = v
		}
		if ok {
			t := time.Date(n[0], time.Month(n[1]), n[2], n[3], n[4], n[5], 0, time.UTC)
			if t.Format(time.DateTime) == s { // rejects 2014-02-30 and friends
				return t, nil
			}
		}
	}
	for _, layout := range nabTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("timestamp %q: want YYYY-MM-DD hh:mm:ss", s)
}
