package main

import (
	"cmp"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/usagekit/usage/anomaly"
)

// nabChoice is the configuration chosen for one profile on another corpus than
// the one it is reported on, and its scores.
type nabChoice struct {
	Candidate int
	// There is its score on the corpus it was chosen on, with the threshold
	// optimised there.
	There nabResult
	// Here is its score on the reported corpus with the threshold NAB's optimiser
	// chooses there, as NAB scores every detector; AtAlarm is its score there at
	// the configuration's own alarm level, a threshold nothing about that corpus
	// chose.
	Here, AtAlarm nabResult
}

// alarmAt is the score at which the candidate's ensemble raises an alarm.
func (c nabCandidate) alarmAt() float64 { return cmp.Or(c.Config.AlarmAt, anomaly.DefaultAlarmAt) }

// pickBest returns, per profile, the index of the candidate with the best raw
// score in there[candidate][profile], the first in grid order among ties.
func pickBest(there [][]nabResult) []int {
	best := make([]int, len(nabProfiles))
	for i := range there {
		for p := range nabProfiles {
			if there[i][p].Raw > there[best[p]][p].Raw {
				best[p] = i
			}
		}
	}
	return best
}

// chooseElsewhere scores every candidate on other, chooses per profile the best
// there, and scores the chosen ones on files. Nothing about files enters the
// choice.
func chooseElsewhere(other, files []nabFile, cands []nabCandidate, workers int) []nabChoice {
	there := make([][]nabResult, len(cands))
	for i, c := range cands {
		there[i] = corpusOf(other, scoreNABFiles(other, []nabDetector{c.detector()}, workers)[0]).optimiseAll()
	}
	choices := make([]nabChoice, len(nabProfiles))
	here := map[int]*nabCorpus{}
	for p, i := range pickBest(there) {
		if here[i] == nil {
			here[i] = corpusOf(files, scoreNABFiles(files, []nabDetector{cands[i].detector()}, workers)[0])
		}
		prof := nabProfiles[p]
		choices[p] = nabChoice{Candidate: i, There: there[i][p],
			Here: here[i].optimise(prof), AtAlarm: here[i].scoreAt(prof, cands[i].alarmAt())}
	}
	return choices
}

// corpusOf gathers the scores of one detector over files.
func corpusOf(files []nabFile, scores [][]float64) *nabCorpus {
	c := &nabCorpus{}
	for j, f := range files {
		c.add(f, scores[j])
	}
	return c
}

// optimiseAll is the corpus's best score under each profile.
func (c *nabCorpus) optimiseAll() []nabResult {
	out := make([]nabResult, len(nabProfiles))
	for p, prof := range nabProfiles {
		out[p] = c.optimise(prof)
	}
	return out
}

// writeChoice chooses the ensemble's configuration over the grid on other (named
// otherName, e.g. the generator's tenants) and prints, per profile, the choice
// and its scores on files, with a RESULT line at NAB's optimised threshold and one
// at the alarm level.
func writeChoice(out io.Writer, otherName string, other, files []nabFile, cands []nabCandidate, workers int) {
	choices := chooseElsewhere(other, files, cands, workers)
	fmt.Fprintf(out, "\nChosen on %s (%d files), not on this corpus: per profile, the configuration of %d candidates\n",
		otherName, len(other), len(cands))
	fmt.Fprintln(out, "with the best score there, scored here at the threshold NAB's optimiser chooses and at its alarm level.")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "profile\tchosen there\tscore there\tscore here\tthreshold\twindows found\tFP rows\tat the alarm level\t")
	for p, prof := range nabProfiles {
		c := choices[p]
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.1f\t%.6g\t%d/%d\t%d\t%.1f\t\n", prof.Name, cands[c.Candidate].Name,
			c.There.Normalised, c.Here.Normalised, c.Here.Threshold, c.Here.Detected, c.Here.Windows, c.Here.FP,
			c.AtAlarm.Normalised)
	}
	tw.Flush()
	fmt.Fprintln(out)
	here, atAlarm := make([]nabResult, len(choices)), make([]nabResult, len(choices))
	for p, c := range choices {
		here[p], atAlarm[p] = c.Here, c.AtAlarm
	}
	writeNABResult(out, "ensemble_chosen_elsewhere", here)
	writeNABResult(out, "ensemble_chosen_elsewhere_alarm_level", atAlarm)
}
