package main

import (
	"flag"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// runNAB scores the anomaly detectors on a corpus in NAB layout and prints, per
// detector, the normalised NAB score under each cost profile with the corpus-wide
// threshold the optimiser chose for it.
func runNAB(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("nab", flag.ContinueOnError)
	fs.SetOutput(out)
	dataDir := fs.String("data", "../shared/data/nab", "corpus `dir` in NAB layout: dir/data/<category>/<file>.csv, dir/labels/combined_windows.json")
	labels := fs.String("labels", "", "labels `file` (default dir/labels/combined_windows.json)")
	only := fs.String("detectors", "", "comma-separated `names` of the detectors to run (default all)")
	verbose := fs.Bool("v", false, "also list, per detector and file, the windows found and FP rows under the standard profile")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "files scored in parallel")
	loco := fs.Bool("loco", false, "also choose the ensemble's configuration leave-one-category-out over a grid and report the held-out score")
	chooseOn := fs.String("choose-on", "", "also choose the ensemble's configuration over the grid on the corpus in NAB layout in `dir` (e.g. usageeval gen's tenants) and report its score on this one")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("nab: unexpected arguments %q", fs.Args())
	}
	detectors := nabDetectors()
	if *only != "" {
		var picked []nabDetector
		for name := range strings.SplitSeq(*only, ",") {
			i := slices.IndexFunc(detectors, func(d nabDetector) bool { return d.Name == name })
			if i < 0 {
				return fmt.Errorf("nab: unknown detector %q", name)
			}
			picked = append(picked, detectors[i])
		}
		detectors = picked
	}
	start := time.Now()
	files, err := loadNABCorpus(*dataDir, *labels)
	if err != nil {
		return fmt.Errorf("nab: %w", err)
	}
	var other []nabFile
	if *chooseOn != "" {
		if other, err = loadNABCorpus(*chooseOn, ""); err != nil {
			return fmt.Errorf("nab: -choose-on: %w", err)
		}
	}
	scores := scoreNABFiles(files, detectors, max(*workers, 1))

	type row struct {
		name    string
		results []nabResult
	}
	rows := make([]row, len(detectors))
	for i, d := range detectors {
		rows[i] = row{name: d.Name, results: corpusOf(files, scores[i]).optimiseAll()}
	}

	rowsTotal := 0
	for _, f := range files {
		rowsTotal += len(f.Values)
	}
	fmt.Fprintf(out, "NAB: %d files, %d rows, %d detectors scored in %v\n\n", len(files), rowsTotal,
		len(detectors), time.Since(start).Round(time.Millisecond))
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "detector\tstandard\tlow FP\tlow FN\tthreshold\twindows found\tFP rows\t")
	for _, r := range rows {
		std := r.results[0]
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t%.6g\t%d/%d\t%d\t\n", r.name, std.Normalised,
			r.results[1].Normalised, r.results[2].Normalised, std.Threshold, std.Detected, std.Windows, std.FP)
	}
	tw.Flush()
	if *verbose {
		// NAB's published per-file scores of Numenta HTM, when the corpus has them:
		// without them the column is left out.
		htm, _ := nabPublishedRaw(*dataDir, "numenta")
		for i, r := range rows {
			fmt.Fprintf(out, "\n%s, standard profile, threshold %.6g:\n", r.name, r.results[0].Threshold)
			ftw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(ftw, "file\traw score\twindows found\tFP rows\t")
			for j, f := range files {
				var c nabCorpus
				c.add(f, scores[i][j])
				fr := c.scoreAt(nabProfiles[0], r.results[0].Threshold)
				fmt.Fprintf(ftw, "%s\t%.3f\t%d/%d\t%d\t\n", f.Name, fr.Raw, fr.Detected, fr.Windows, fr.FP)
			}
			ftw.Flush()
			fmt.Fprintln(out)
			writeNABCategories(out, files, scores[i], r.results[0].Threshold, htm, "Numenta HTM")
		}
	}
	fmt.Fprintln(out, "\nthreshold, windows found and FP rows are for the standard profile; each profile has its own corpus-wide threshold.")
	fmt.Fprintln(out)
	for _, r := range rows {
		writeNABResult(out, r.name, r.results)
	}
	if *loco {
		writeLOCO(out, files, nabCandidates(), max(*workers, 1))
	}
	if *chooseOn != "" {
		writeChoice(out, *chooseOn, other, files, nabCandidates(), max(*workers, 1))
	}
	return nil
}

// scoreNABFiles runs every detector over every file, files in parallel, and returns
// the scores indexed [detector][file][row].
func scoreNABFiles(files []nabFile, detectors []nabDetector, workers int) [][][]float64 {
	scores := make([][][]float64, len(detectors))
	for i := range scores {
		scores[i] = make([][]float64, len(files))
	}
	type job struct{ det, file int }
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				scores[j.det][j.file] = detectors[j.det].score(files[j.file])
			}
		})
	}
	// Biggest files first so that no worker is left with a long one at the end.
	order := make([]int, len(files))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return len(files[b].Values) - len(files[a].Values) })
	for _, f := range order {
		for d := range detectors {
			jobs <- job{d, f}
		}
	}
	close(jobs)
	wg.Wait()
	return scores
}
