package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// series is one evaluation case: training values and the held-out values that
// follow them.
type series struct {
	id    string
	train []float64
	test  []float64
}

// m4Frequencies maps the -freq flag to the M4 file prefix, horizon and season.
var m4Frequencies = map[string]struct {
	prefix string
	h, m   int
}{
	"hourly": {"Hourly", 48, 24},
}

// loadM4 reads DIR/<Freq>-train.csv and DIR/<Freq>-test.csv.
func loadM4(dir, prefix string) ([]series, error) {
	train, err := readM4File(filepath.Join(dir, prefix+"-train.csv"))
	if err != nil {
		return nil, err
	}
	test, err := readM4File(filepath.Join(dir, prefix+"-test.csv"))
	if err != nil {
		return nil, err
	}
	if len(train) != len(test) {
		return nil, fmt.Errorf("m4 %s: %d training series but %d test series", prefix, len(train), len(test))
	}
	out := make([]series, len(train))
	for i := range train {
		if train[i].id != test[i].id {
			return nil, fmt.Errorf("m4 %s: row %d is %s in train but %s in test", prefix, i+1, train[i].id, test[i].id)
		}
		out[i] = series{id: train[i].id, train: train[i].train, test: test[i].train}
	}
	return out, nil
}

// readM4File parses the M4 layout: a header row, then one row per series with
// its id and values, padded with empty cells.
func readM4File(path string) ([]series, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	if _, err := r.Read(); err != nil {
		return nil, fmt.Errorf("%s: header: %w", path, err)
	}
	var out []series
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		s := series{id: rec[0]}
		for _, cell := range rec[1:] {
			cell = strings.TrimSpace(cell)
			if cell == "" {
				break
			}
			v, err := strconv.ParseFloat(cell, 64)
			if err != nil {
				return nil, fmt.Errorf("%s: series %s: %w", path, s.id, err)
			}
			s.train = append(s.train, v)
		}
		out = append(out, s)
	}
}
