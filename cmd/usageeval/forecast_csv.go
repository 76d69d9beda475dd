package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// loadCSVDir reads every *.csv file of dir as a "timestamp,value" series in file
// order (a first row whose value does not parse is a header) and holds out its
// last h values. Files with h or fewer values cannot be evaluated and are
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

func readValueCSV(path string) ([]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	var values []float64
	for line := 1; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			return values, nil
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
		values = append(values, v)
	}
}
