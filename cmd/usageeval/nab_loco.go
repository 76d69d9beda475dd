package main

import (
	"fmt"
	"io"
	"path"
	"slices"
	"text/tabwriter"

	"github.com/usagekit/usage/anomaly"
)

// nabCandidate is one ensemble configuration that leave-one-category-out
// selection may choose.
type nabCandidate struct {
	Name   string
	Config anomaly.EnsembleConfig
	// QuietDiv, when positive, sets the quiet period to the file's probationary
	// period divided by QuietDiv, in place of Config.Quiet: a quiet period in
	// proportion to the length of the series, as CAD OSE sets its rest period.
	QuietDiv int
}

// detector returns the candidate as the harness runs it.
func (c nabCandidate) detector() nabDetector {
	return nabDetector{Name: c.Name, New: func(probation int) anomaly.Detector {
		cfg := c.Config
		if c.QuietDiv > 0 {
			cfg.Quiet = max(probation/c.QuietDiv, 1)
		}
		return ensembleDetector{anomaly.NewEnsemble(cfg)}
	}}
}

// nabCandidates is the grid selection chooses from: the settings of the ensemble
// that change what it reports (how long an alarm silences the next, as a number of
// points or in proportion to the series; the score that alarms; how much history
// the members learn from before they score), each over a range around its default,
// and the configuration DetectAnomalies uses. Weekend slots and single-point
// alarms are left off: an earlier grid offered them and selection under the
// standard profile never took them. The grid was fixed before any selection was
// run; it is not to be widened after looking at held-out scores.
func nabCandidates() []nabCandidate {
	out := []nabCandidate{{Name: "usage", Config: anomaly.UsageEnsembleConfig()}}
	type quiet struct{ points, div int }
	for _, q := range []quiet{{50, 0}, {100, 0}, {200, 0}, {0, 3}, {0, 5}, {0, 8}} {
		for _, alarmAt := range []float64{0.76, 0.82, 0.88} {
			for _, warmup := range []int{60, anomaly.DefaultWindow} {
				for _, knnWarmup := range []int{60, 120, anomaly.DefaultWindow} {
					quietName := fmt.Sprint(q.points)
					if q.div > 0 {
						quietName = fmt.Sprintf("probation/%d", q.div)
					}
					out = append(out, nabCandidate{
						Name: fmt.Sprintf("quiet=%s,alarm_at=%.2f,warmup=%d,knn_warmup=%d",
							quietName, alarmAt, warmup, knnWarmup),
						Config: anomaly.EnsembleConfig{Quiet: q.points, AlarmAt: alarmAt, Warmup: warmup,
							KNNWarmup: knnWarmup},
						QuietDiv: q.div,
					})
				}
			}
		}
	}
	return out
}

// nabCategory is the category of a corpus file: the folder of its name.
func nabCategory(f nabFile) string { return path.Dir(f.Name) }

// nabFold is one candidate's scores for one held-out category under one profile:
// on the other categories with the threshold optimised there, and on the held-out
// category at that threshold.
type nabFold struct {
	Train, Test nabResult
}

// nabLOCO is the outcome of leave-one-category-out selection under one profile.
type nabLOCO struct {
	// Chosen is, per held-out category, the index of the candidate chosen on the
	// other categories, and Folds that candidate's fold.
	Chosen []int
	Folds  []nabFold
	// Combined is the held-out categories' scores summed and normalised over all
	// their windows, as one corpus score. Its Threshold is −1: each fold has its own.
	Combined nabResult
}

// nabCandidateScores is one candidate's scores: on the whole corpus per profile
// (in sample), and per held-out category and profile.
type nabCandidateScores struct {
	Whole []nabResult
	Folds [][]nabFold
}

// scoreCandidates scores every candidate on the whole corpus and on every fold.
// Each candidate's rows are scored once, files in parallel, and dropped before the
// next, so memory stays that of one detector.
func scoreCandidates(files []nabFile, categories []string, cands []nabCandidate, workers int) []nabCandidateScores {
	out := make([]nabCandidateScores, len(cands))
	for i, c := range cands {
		scores := scoreNABFiles(files, []nabDetector{c.detector()}, workers)[0]
		out[i].Whole = corpusOf(files, scores).optimiseAll()
		out[i].Folds = make([][]nabFold, len(categories))
		for k, cat := range categories {
			var train, test nabCorpus
			for j, f := range files {
				if nabCategory(f) == cat {
					test.add(f, scores[j])
				} else {
					train.add(f, scores[j])
				}
			}
			for _, prof := range nabProfiles {
				tr := train.optimise(prof)
				out[i].Folds[k] = append(out[i].Folds[k], nabFold{Train: tr, Test: test.scoreAt(prof, tr.Threshold)})
			}
		}
	}
	return out
}

// selectLOCO chooses, for each held-out category, the candidate with the best score
// on the other categories under profile p (the first in grid order among ties),
// and sums the chosen candidates' held-out scores into one corpus score.
func selectLOCO(cands []nabCandidateScores, categories []string, p int) nabLOCO {
	prof := nabProfiles[p]
	out := nabLOCO{Combined: nabResult{Threshold: -1}}
	var corpus nabCorpus // for its normalisation only
	for k := range categories {
		best := 0
		for i := range cands {
			if cands[i].Folds[k][p].Train.Raw > cands[best].Folds[k][p].Train.Raw {
				best = i
			}
		}
		f := cands[best].Folds[k][p]
		out.Chosen = append(out.Chosen, best)
		out.Folds = append(out.Folds, f)
		out.Combined.Raw += f.Test.Raw
		out.Combined.Detected += f.Test.Detected
		out.Combined.Windows += f.Test.Windows
		out.Combined.FP += f.Test.FP
	}
	out.Combined.Normalised = corpus.normalise(prof, out.Combined.Raw, out.Combined.Windows)
	return out
}

// writeLOCO runs leave-one-category-out selection over the candidates and
// prints, per profile, the configuration chosen for each held-out category and the
// combined held-out score, beside the best in-sample score of the grid (the
// configuration and threshold chosen on the whole corpus), which is what choosing
// on NAB itself would report.
func writeLOCO(out io.Writer, files []nabFile, cands []nabCandidate, workers int) {
	var categories []string
	for _, f := range files {
		if c := nabCategory(f); !slices.Contains(categories, c) {
			categories = append(categories, c)
		}
	}
	slices.Sort(categories)
	scores := scoreCandidates(files, categories, cands, workers)

	fmt.Fprintf(out, "\nLeave one category out: for each category, the configuration of %d candidates and the threshold\n", len(cands))
	fmt.Fprintln(out, "with the best score on the other categories, scored on the held-out category at that threshold.")
	results := make([]nabLOCO, len(nabProfiles))
	for p, prof := range nabProfiles {
		results[p] = selectLOCO(scores, categories, p)
		fmt.Fprintf(out, "\n%s profile:\n", prof.Name)
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "held out\tchosen on the others\tscore on the others\tthreshold\theld-out windows found\theld-out FP rows\t")
		for k, cat := range categories {
			f := results[p].Folds[k]
			fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.6g\t%d/%d\t%d\t\n", cat, cands[results[p].Chosen[k]].Name,
				f.Train.Normalised, f.Train.Threshold, f.Test.Detected, f.Test.Windows, f.Test.FP)
		}
		tw.Flush()
		c := results[p].Combined
		fmt.Fprintf(out, "combined held-out score %.1f (%d/%d windows found, %d FP rows)\n", c.Normalised,
			c.Detected, c.Windows, c.FP)
	}

	// In sample: the candidate and threshold best on the whole corpus, per profile.
	fmt.Fprintln(out, "\nIn sample, the best of the grid on the whole corpus (configuration and threshold chosen on NAB):")
	whole := make([][]nabResult, len(scores))
	for i := range scores {
		whole[i] = scores[i].Whole
	}
	inSample := make([]nabResult, len(nabProfiles))
	for p, best := range pickBest(whole) {
		prof := nabProfiles[p]
		inSample[p] = scores[best].Whole[p]
		fmt.Fprintf(out, "%s: %.1f with %s\n", prof.Name, inSample[p].Normalised, cands[best].Name)
	}
	fmt.Fprintln(out)
	loco := make([]nabResult, len(nabProfiles))
	for p := range nabProfiles {
		loco[p] = results[p].Combined
	}
	writeNABResult(out, "ensemble_loco", loco)
	writeNABResult(out, "ensemble_grid_in_sample", inSample)
}

// writeNABResult prints a RESULT line with one normalised score per profile.
func writeNABResult(out io.Writer, detector string, perProfile []nabResult) {
	fmt.Fprintf(out, "RESULT eval=nab detector=%s", detector)
	for p, prof := range nabProfiles {
		fmt.Fprintf(out, " %s=%.2f", prof.Key, perProfile[p].Normalised)
	}
	fmt.Fprintln(out)
}
