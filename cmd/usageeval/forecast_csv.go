package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// loadCSVDir reads every *.csv file of dir as a "timestamp,value" series (a
// first row whose value does not parse is a header), in time order when every
// timestamp parses and in file order otherwise, and holds out its last h
// values. Files with h or fewer values cannot be evaluated and are
// returned in skipped.
func loadCSVDir(dir string, h int) (out []series, skipped []string, err error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.csv"))
	if err != nil {
		return nil, nil, err
	}
	if len(paths) == 0 {
		return nil, nil, fmt.Errorf("no .csv files in %s", dir)
	}
	sort.Strings(paths)
	for _, path := range paths {
		values, err := readValueCSV(path)
		if err != nil {
			return nil, nil, err
		}
		id := strings.TrimSuffix(filepath.Base(path), ".csv")
		if len(values) <= h {
			skipped = append(skipped, id)
			continue
		}
		n := len(values) - h
		out = append(out, series{id: id, train: values[:n], test: values[n:]})
	}
	return out, skipped, nil
}

// csvTimeLayouts are the timestamp layouts recognised for sorting rows.
var csvTimeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02"}

func parseCSVTime(s string) (time.Time, bool) {
	for _, layout := range csvTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func readValueCSV(path string) ([]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	type row struct {
		t     time.Time
		value float64
	}
	var rows []row
	sorted := true
	for line := 1; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(rec) < 2 {
			return nil, fmt.Errorf("%s:%d: want timestamp,value", path, line)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
		if err != nil {
			if line == 1 {
				continue
			}
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		t, ok := parseCSVTime(strings.TrimSpace(rec[0]))
		sorted = sorted && ok
		rows = append(rows, row{t, v})
	}
	if sorted {
		slices.SortStableFunc(rows, func(a, b row) int { return a.t.Compare(b.t) })
	}
	values := make([]float64, len(rows))
	for i, r := range rows {
		values[i] = r.value
	}
	return values, nil
}
