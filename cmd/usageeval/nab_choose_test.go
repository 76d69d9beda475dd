package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/usagekit/usage/anomaly"
)

// results builds one candidate's scores, the same raw score under every profile.
func results(raw float64) []nabResult {
	out := make([]nabResult, len(nabProfiles))
	for p := range out {
		out[p] = nabResult{Raw: raw}
	}
	return out
}

func TestChoiceIsTheBestOnTheOtherCorpusAndTheFirstAmongTies(t *testing.T) {
	t.Parallel()
	got := pickBest([][]nabResult{results(1), results(3), results(3), results(2)})
	for p, i := range got {
		if i != 1 {
			t.Errorf("profile %s: chose candidate %d, want 1 (the first of the two best)", nabProfiles[p].Name, i)
		}
	}
}

func TestChoiceUnderEachProfileIsItsOwn(t *testing.T) {
	t.Parallel()
	a, b := results(1), results(0)
	b[2].Raw = 5 // best under reward low FN only
	got := pickBest([][]nabResult{a, b})
	if got[0] != 0 || got[1] != 0 || got[2] != 1 {
		t.Errorf("chose %v, want [0 0 1]", got)
	}
}

func TestChosenElsewhereReportsTheChoiceScoredHereAtTheAlarmLevel(t *testing.T) {
	t.Parallel()
	files := twoNABFiles(t)
	// The other corpus: four generated tenants over three weeks, loaded as the
	// harness loads any corpus in NAB layout.
	gen := t.TempDir()
	p := defaultGenParams
	p.Tenants, p.Days = 4, 21
	if err := writeTenants(gen, p); err != nil {
		t.Fatal(err)
	}
	other, err := loadNABCorpus(gen, "")
	if err != nil {
		t.Fatal(err)
	}
	cands := []nabCandidate{
		{Name: "alarm_at=0.82", Config: anomaly.EnsembleConfig{Warmup: 60}},
		{Name: "alarm_at=0.88", Config: anomaly.EnsembleConfig{Warmup: 60, AlarmAt: 0.88}},
	}
	choices := chooseElsewhere(other, files, cands, 2)
	for p, c := range choices {
		// The choice is the better one on the generated tenants alone.
		there := corpusOf(other, scoreNABFiles(other, []nabDetector{cands[1-c.Candidate].detector()}, 2)[0]).optimise(nabProfiles[p])
		if there.Raw > c.There.Raw {
			t.Errorf("profile %s: chose %s scoring %.3f there, but the other scores %.3f", nabProfiles[p].Name,
				cands[c.Candidate].Name, c.There.Raw, there.Raw)
		}
		if c.AtAlarm.Threshold != cands[c.Candidate].alarmAt() {
			t.Errorf("profile %s: scored at %v, want the alarm level %v", nabProfiles[p].Name, c.AtAlarm.Threshold, cands[c.Candidate].alarmAt())
		}
		if c.Here.Raw < c.AtAlarm.Raw {
			t.Errorf("profile %s: the optimised threshold scores %.3f, below the alarm level's %.3f", nabProfiles[p].Name, c.Here.Raw, c.AtAlarm.Raw)
		}
	}

	var out strings.Builder
	writeChoice(&out, "generated", other, files, cands, 2)
	report := out.String()
	if !regexp.MustCompile(`(?m)^standard\s+alarm_at=0\.(82|88)\s`).MatchString(report) {
		t.Errorf("no chosen configuration under the standard profile in:\n%s", report)
	}
	for _, row := range []string{"ensemble_chosen_elsewhere", "ensemble_chosen_elsewhere_alarm_level"} {
		re := regexp.MustCompile(`(?m)^RESULT eval=nab detector=` + row + ` standard=-?[0-9.]+ low_fp=-?[0-9.]+ low_fn=-?[0-9.]+$`)
		if !re.MatchString(report) {
			t.Errorf("no RESULT row %s in:\n%s", row, report)
		}
	}
}

func TestRunNABRejectsAChoiceCorpusItCannotRead(t *testing.T) {
	t.Parallel()
	dir := nabDataDir(t)
	var out strings.Builder
	err := runNAB([]string{"-data", dir, "-detectors", "zscore", "-choose-on", t.TempDir()}, &out)
	if err == nil || !strings.Contains(err.Error(), "-choose-on") {
		t.Errorf("err = %v, want one that names -choose-on", err)
	}
}
