package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunWritesSixteenReports runs the example and checks that it wrote every
// type in every format and printed each file's name and size.
func TestRunWritesSixteenReports(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reports")
	var out bytes.Buffer
	if err := run(context.Background(), dir, "", &out); err != nil {
		t.Fatal(err)
	}
	lines := 0
	for sc := bufio.NewScanner(&out); sc.Scan(); lines++ {
		name := strings.Fields(sc.Text())[0]
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil || info.Size() == 0 {
			t.Errorf("%s: %v, size %d", name, err, info.Size())
		}
	}
	if lines != 16 {
		t.Errorf("%d reports printed, want 16:\n%s", lines, out.String())
	}
	anomalies, _ := os.ReadFile(filepath.Join(dir, "anomaly.csv"))
	if !strings.Contains(string(anomalies), "api_calls") {
		t.Errorf("the spike of the 20th is not in the anomaly report:\n%s", anomalies)
	}
}
