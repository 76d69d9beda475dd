package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// nabDataDir finds the shared NAB data: $USAGE_DATA_DIR/nab, else ../shared/data/nab
// beside the repository root. It skips the test, loudly, when the data is missing.
func nabDataDir(t *testing.T) string {
	t.Helper()
	base := os.Getenv("USAGE_DATA_DIR")
	if base == "" {
		dir, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				t.Fatal("no go.mod above the test's directory")
			}
			dir = parent
		}
		base = filepath.Join(dir, "..", "shared", "data")
	}
	dir := filepath.Join(base, "nab")
	if _, err := os.Stat(filepath.Join(dir, "labels", "combined_windows.json")); err != nil {
		t.Skipf("SKIPPING: NAB data not found at %s (set USAGE_DATA_DIR): %v", dir, err)
	}
	return dir
}

// twoNABFiles loads two short files of two categories of the shared NAB data,
// enough to run a selection end to end in a test.
func twoNABFiles(t *testing.T) []nabFile {
	t.Helper()
	all, err := loadNABCorpus(nabDataDir(t), "")
	if err != nil {
		t.Fatal(err)
	}
	var files []nabFile
	for _, f := range all {
		if f.Name == "realKnownCause/ec2_request_latency_system_failure.csv" || f.Name == "realTraffic/speed_7578.csv" {
			files = append(files, f)
		}
	}
	return files
}

// TestNABScorerReproducesWindowedGaussian scores NAB's published windowed Gaussian
// outputs at their published threshold (1.0 for every profile) and must find the
// published normalised scores.
func TestNABScorerReproducesWindowedGaussian(t *testing.T) {
	t.Parallel()
	dir := nabDataDir(t)
	files, err := loadNABCorpus(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	var corpus nabCorpus
	for _, f := range files {
		category, name, _ := strings.Cut(f.Name, "/")
		path := filepath.Join(dir, "results", "windowedGaussian", category, "windowedGaussian_"+name)
		times, cols, err := readNABCSV(path, "anomaly_score")
		if err != nil {
			t.Fatal(err)
		}
		if len(times) != len(f.Times) {
			t.Fatalf("%s: %d rows of scores for %d rows of data", f.Name, len(times), len(f.Times))
		}
		corpus.add(f, cols[0])
	}
	if got := corpus.scorable; got != 116 {
		t.Errorf("scorable windows = %d, want 116", got)
	}
	want := map[string]float64{"standard": 39.6, "low_fp": 20.9, "low_fn": 47.4}
	for _, prof := range nabProfiles {
		got := corpus.scoreAt(prof, 1.0)
		t.Logf("%s: %.2f (raw %.4f, %d/%d windows, %d FP)", prof.Name, got.Normalised, got.Raw, got.Detected, got.Windows, got.FP)
		if math.Abs(got.Normalised-want[prof.Key]) > 0.05 {
			t.Errorf("%s: score %.3f (raw %.4f), want %.1f", prof.Name, got.Normalised, got.Raw, want[prof.Key])
		}
		if prof.Key != "standard" {
			continue
		}
		// The optimiser sweeps every threshold, 1 among them.
		if opt := corpus.optimise(prof); opt.Raw < got.Raw-1e-9 {
			t.Errorf("%s: optimiser found %.4f below the score %.4f at threshold 1", prof.Name, opt.Raw, got.Raw)
		}
	}
}

// TestRunNABOnTwoFiles runs the harness end to end on two files, chosen with a
// labels file of their own, and checks the report's shape.
func TestRunNABOnTwoFiles(t *testing.T) {
	t.Parallel()
	dir := nabDataDir(t)
	all, err := readNABLabels(filepath.Join(dir, "labels", "combined_windows.json"))
	if err != nil {
		t.Fatal(err)
	}
	subset := map[string][][]string{}
	for _, name := range []string{"realKnownCause/ec2_request_latency_system_failure.csv", "realTraffic/speed_7578.csv"} {
		for _, w := range all[name] {
			subset[name] = append(subset[name], []string{w[0].Format("2006-01-02 15:04:05.000000"), w[1].Format("2006-01-02 15:04:05.000000")})
		}
	}
	raw, err := json.Marshal(subset)
	if err != nil {
		t.Fatal(err)
	}
	labels := filepath.Join(t.TempDir(), "labels.json")
	if err := os.WriteFile(labels, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := runNAB([]string{"-data", dir, "-labels", labels, "-detectors", "zscore,levelshift"}, &out); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^RESULT eval=nab detector=(\S+) standard=(-?[0-9.]+) low_fp=(-?[0-9.]+) low_fn=(-?[0-9.]+)$`)
	got := re.FindAllStringSubmatch(out.String(), -1)
	if len(got) != 2 || got[0][1] != "zscore" || got[1][1] != "levelshift" {
		t.Fatalf("RESULT lines %q in output:\n%s", got, out.String())
	}
	if !strings.Contains(out.String(), "2 files") {
		t.Errorf("report does not say it scored 2 files:\n%s", out.String())
	}
}

func TestRunNABRejectsUnknownDetector(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	if err := runNAB([]string{"-detectors", "nope"}, &out); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("err = %v, want unknown detector", err)
	}
}
