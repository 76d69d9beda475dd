package main

import (
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/usagekit/usage/anomaly"
)

// fold builds a fold whose training and held-out raw scores are given, under
// every profile, with one held-out window.
func fold(train, test float64) []nabFold {
	out := make([]nabFold, len(nabProfiles))
	for p := range out {
		out[p] = nabFold{Train: nabResult{Raw: train, Threshold: train}, Test: nabResult{Raw: test, Windows: 1}}
	}
	return out
}

func TestLOCOChoosesOnTheOtherCategoriesNotOnTheHeldOutOne(t *testing.T) {
	t.Parallel()
	// Candidate 0 would score best on each held-out category, but candidate 1 is
	// better on the others: the choice must be candidate 1 for both.
	cands := []nabCandidateScores{
		{Folds: [][]nabFold{fold(1, 1), fold(1, 1)}},
		{Folds: [][]nabFold{fold(2, -1), fold(3, 0)}},
	}
	got := selectLOCO(cands, []string{"a", "b"}, 0)
	for k, c := range got.Chosen {
		if c != 1 {
			t.Errorf("held out %d: chose candidate %d, want 1 (best on the others)", k, c)
		}
	}
	if got.Combined.Raw != -1 {
		t.Errorf("combined raw = %v, want the chosen candidates' held-out sum -1", got.Combined.Raw)
	}
}

func TestLOCOCombinedScoreIsNormalisedOverAllHeldOutWindows(t *testing.T) {
	t.Parallel()
	cands := []nabCandidateScores{{Folds: [][]nabFold{fold(0, 1), fold(0, -1)}}}
	got := selectLOCO(cands, []string{"a", "b"}, 0)
	// One window found perfectly and one missed, out of two: halfway between the
	// null detector (−2) and the perfect one (2).
	if got.Combined.Windows != 2 || math.Abs(got.Combined.Normalised-50) > 1e-9 {
		t.Errorf("combined = %+v, want 2 windows and a score of 50", got.Combined)
	}
}

func TestLOCOGridHoldsTheUsageConfigurationAndUniqueNames(t *testing.T) {
	t.Parallel()
	cands := nabCandidates()
	if cands[0].Name != "usage" {
		t.Errorf("first candidate %q, want the usage configuration", cands[0].Name)
	}
	seen := map[string]bool{}
	for _, c := range cands {
		if seen[c.Name] {
			t.Errorf("candidate %q twice", c.Name)
		}
		seen[c.Name] = true
	}
}

func TestLOCOQuietInProportionToProbation(t *testing.T) {
	t.Parallel()
	// A steady series with two far points 30 rows apart: a quiet period of
	// probation/5 = 60 rows hides the second alarm, one of probation/10 = 30 rows
	// does not.
	f := nabFile{Name: "c/f.csv"}
	for i := range 2000 {
		f.Times = append(f.Times, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i)*5*time.Minute))
		f.Values = append(f.Values, 100+float64(i%7))
	}
	f.Values[1500], f.Values[1531] = 1e4, 1e4
	if p := nabProbation(len(f.Values)); p != 300 {
		t.Fatalf("probation %d, want 300", p)
	}
	alarms := func(div int) int {
		c := nabCandidate{Name: "q", Config: anomaly.EnsembleConfig{Warmup: 60}, QuietDiv: div}
		n := 0
		for _, s := range c.detector().score(f) {
			if s >= anomaly.DefaultAlarmAt {
				n++
			}
		}
		return n
	}
	if got := alarms(5); got != 1 {
		t.Errorf("quiet probation/5: %d alarms, want 1", got)
	}
	if got := alarms(10); got != 2 {
		t.Errorf("quiet probation/10: %d alarms, want 2", got)
	}
}

func TestLOCOReportNamesTheChoicePerCategoryAndPrintsBothResultRows(t *testing.T) {
	t.Parallel()
	files := twoNABFiles(t)
	cands := []nabCandidate{
		{Name: "quiet=100", Config: anomaly.EnsembleConfig{}},
		{Name: "quiet=25", Config: anomaly.EnsembleConfig{Quiet: 25}},
	}
	var out strings.Builder
	writeLOCO(&out, files, cands, 2)
	report := out.String()
	for _, cat := range []string{"realKnownCause", "realTraffic"} {
		if !regexp.MustCompile(`(?m)^` + cat + `\s+quiet=(100|25)\s`).MatchString(report) {
			t.Errorf("no chosen configuration for held-out %s in:\n%s", cat, report)
		}
	}
	for _, row := range []string{"ensemble_loco", "ensemble_grid_in_sample"} {
		re := regexp.MustCompile(`(?m)^RESULT eval=nab detector=` + row + ` standard=-?[0-9.]+ low_fp=-?[0-9.]+ low_fn=-?[0-9.]+$`)
		if !re.MatchString(report) {
			t.Errorf("no RESULT row %s in:\n%s", row, report)
		}
	}
}
