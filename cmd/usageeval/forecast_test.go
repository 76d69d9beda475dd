package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/usagekit/usage/forecast"
)

// m4DataDir finds the M4 data: $USAGE_DATA_DIR/m4, else ../shared/data/m4
// relative to the repository root (the directory holding go.mod).
func m4DataDir(t *testing.T) string {
	t.Helper()
	base := os.Getenv("USAGE_DATA_DIR")
	if base == "" {
		dir, err := os.Getwd()
		require.NoError(t, err)
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(dir)
			require.NotEqual(t, parent, dir, "no go.mod above the test directory")
			dir = parent
		}
		base = filepath.Join(dir, "..", "shared", "data")
	}
	dir := filepath.Join(base, "m4")
	if _, err := os.Stat(filepath.Join(dir, "Hourly-train.csv")); err != nil {
		t.Skipf("SKIPPING M4 SELF-CHECK: data not found at %s (set USAGE_DATA_DIR): %v", dir, err)
	}
	return dir
}

// TestM4HourlySelfCheck checks the harness against the M4 organisers' published
// scores of the benchmarks: a loader, metric or Naive2 bug shows here.
func TestM4HourlySelfCheck(t *testing.T) {
	t.Parallel()
	data, err := loadM4(m4DataDir(t), "Hourly")
	require.NoError(t, err)
	require.Len(t, data, 414)
	models, err := selectModels(harnessModels(24, []int{24, 168}), "naive1,snaive,naive2")
	require.NoError(t, err)
	scores := evaluate(models, data, 48, 24, 2)
	want := map[string][2]float64{
		"naive1": {43.003, 11.608},
		"snaive": {13.912, 1.193},
		"naive2": {18.383, 2.395},
	}
	for _, s := range scores {
		require.Equal(t, want[s.name][0], math.Round(s.smape*1000)/1000, "%s sMAPE", s.name)
		require.Equal(t, want[s.name][1], math.Round(s.mase*1000)/1000, "%s MASE", s.name)
		require.Zero(t, s.failed, s.name)
	}
	require.InDelta(t, 1, scores[2].owa, 1e-12, "Naive2's OWA is 1 by construction")
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	require.InDelta(t, 200.0/2*(1.0/3), smape([]float64{1, 2}, []float64{2, 2}), 1e-12)
	require.Zero(t, smape([]float64{0}, []float64{0}), "0/0 counts as exact")
	// Scale: mean |y_t − y_{t−2}| over {1,2,4,6} = (3+4)/2.
	require.InDelta(t, 1/3.5, mase([]float64{1, 2, 4, 6}, []float64{7}, []float64{8}, 2), 1e-12)
	require.Equal(t, 1.0, maseScale([]float64{5, 5, 5}, 1), "constant series")
}

func TestForecastCSVDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for i := range 3 {
		var b strings.Builder
		b.WriteString("timestamp,value\n")
		for d := range 60 {
			day := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d)
			fmt.Fprintf(&b, "%s,%d\n", day.Format(time.RFC3339), 100+10*(d%7)+i)
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("s%d.csv", i)), []byte(b.String()), 0o600))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "short.csv"), []byte("t,v\nx,1\n"), 0o600))
	// Rows out of time order are sorted: this file is the first one reversed.
	first, err := os.ReadFile(filepath.Join(dir, "s0.csv"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(first)), "\n")
	slices.Reverse(lines[1:])
	require.NoError(t, os.WriteFile(filepath.Join(dir, "s3.csv"), []byte(strings.Join(lines, "\n")), 0o600))

	var out bytes.Buffer
	err = runForecast([]string{"-csv", dir, "-h", "14", "-m", "7", "-models", "naive1,snaive,ses,auto"}, &out)
	require.NoError(t, err)
	text := out.String()
	require.Contains(t, text, "skipped 1 series")
	// The weekly pattern repeats exactly, so seasonal naive is perfect.
	require.Contains(t, text, "RESULT eval=forecast model=snaive smape=0.000 mase=0.000 owa=0.000 failed=0\n")
	require.Regexp(t, `RESULT eval=forecast model=auto smape=0\.0\d\d mase=0\.0\d\d owa=0\.0\d\d failed=0\n`, text)
	require.Equal(t, 4, strings.Count(text, "RESULT "))
}

func TestForecastFlags(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.Error(t, runForecast(nil, &out))
	require.Error(t, runForecast([]string{"-csv", t.TempDir()}, &out), "needs -h")
	require.Error(t, runForecast([]string{"-m4", t.TempDir(), "-freq", "yearly"}, &out))
	_, err := selectModels(harnessModels(7, []int{7}), "nope")
	require.Error(t, err)
}

// failing is a model that always errs, to check the Naive1 fallback.
type failing struct{}

func (failing) Name() string { return "failing" }
func (failing) Forecast([]float64, int) (forecast.Forecast, error) {
	return forecast.Forecast{}, fmt.Errorf("always fails")
}

func TestFailedModelsFallBackToNaive1(t *testing.T) {
	t.Parallel()
	data := []series{{id: "a", train: []float64{1, 2, 3, 4}, test: []float64{5, 6}}}
	scores := evaluate([]namedModel{{"failing", failing{}}, {"naive1", forecast.Naive{}}}, data, 2, 1, 1)
	require.Equal(t, 1, scores[0].failed)
	require.Equal(t, scores[1].smape, scores[0].smape)
}
