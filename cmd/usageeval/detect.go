package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/store/sqlite"
)

// detectMetric is the metric the harness stores every file's values as: a sum,
// the aggregation of metered usage such as API calls.
const detectMetric = usage.MetricAPICalls

// detectWindow is one labelled window of a file, with the kind and onset of
// kinds.json when there is one (kind "window" and the window's start otherwise).
type detectWindow struct {
	Kind     string
	From, To time.Time
	Onset    time.Time
}

// detectFile is one file of the corpus as the harness runs it: one subject.
type detectFile struct {
	Name    string
	Times   []time.Time
	Values  []float64
	Windows []detectWindow
}

// detectFound is one anomaly record as the scorer needs it.
type detectFound struct {
	At time.Time
	// Reported is when the scheduled run that returned the record ran: the
	// earliest a user could have known of it.
	Reported     time.Time
	Method       string
	FraudSuspect bool
}

// runDetect stores each file of a NAB-layout folder as one subject's usage through
// a Meter on SQLite, runs DetectAnomalies as a user would, and scores the records
// against the labelled windows.
func runDetect(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("detect", flag.ContinueOnError)
	fs.SetOutput(out)
	dir := fs.String("data", "", "corpus `dir` in NAB layout, with dir/labels/kinds.json optional")
	every := fs.Duration("every", 24*time.Hour, "run detection this often over the data's span, as a scheduled job would (0: once, at the end)")
	verbose := fs.Bool("v", false, "list every anomaly record and the window it fell in")
	method := fs.String("method", "", "score only the records of this `method` (ensemble, burst, regularity; default all)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || fs.NArg() > 0 {
		return fmt.Errorf("detect: want -data DIR and no arguments")
	}
	files, err := loadDetectCorpus(*dir)
	if err != nil {
		return fmt.Errorf("detect: %w", err)
	}
	start := time.Now()
	found, err := detectOnMeter(context.Background(), files, *every)
	if err != nil {
		return fmt.Errorf("detect: %w", err)
	}
	if *method != "" {
		for i := range found {
			found[i] = slices.DeleteFunc(found[i], func(a detectFound) bool { return a.Method != *method })
		}
	}
	fmt.Fprintf(out, "detect: %d files through DetectAnomalies (every %v) in %v\n\n", len(files), *every,
		time.Since(start).Round(time.Millisecond))
	if *verbose {
		for i, f := range files {
			for _, a := range found[i] {
				w := "outside"
				if j := f.windowOf(a.At); j >= 0 {
					w = f.Windows[j].Kind
				}
				fmt.Fprintf(out, "%s\t%s\t%-10s\tfraud=%v\t%s\n", f.Name, a.At.Format(time.DateTime), a.Method,
					a.FraudSuspect, w)
			}
		}
		fmt.Fprintln(out)
	}
	writeDetectReport(out, scoreDetect(files, found))
	return nil
}

// loadDetectCorpus reads the files named in dir/labels/combined_windows.json with
// their windows, and the kinds and onsets of dir/labels/kinds.json if present.
func loadDetectCorpus(dir string) ([]detectFile, error) {
	labels, err := readNABLabels(filepath.Join(dir, "labels", "combined_windows.json"))
	if err != nil {
		return nil, err
	}
	kinds := map[string][]genLabel{}
	raw, err := os.ReadFile(filepath.Join(dir, "labels", "kinds.json"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal(raw, &kinds); err != nil {
			return nil, fmt.Errorf("kinds.json: %w", err)
		}
	}
	var files []detectFile
	for name, windows := range labels {
		times, cols, err := readNABCSV(filepath.Join(dir, "data", filepath.FromSlash(name)), "value")
		if err != nil {
			return nil, err
		}
		f := detectFile{Name: name, Times: times, Values: cols[0]}
		for _, w := range windows {
			dw := detectWindow{Kind: "window", From: w[0], To: w[1], Onset: w[0]}
			for _, k := range kinds[name] {
				from, err1 := parseNABTime(k.Window[0])
				onset, err2 := parseNABTime(k.Onset)
				if err1 == nil && err2 == nil && from.Equal(w[0]) {
					dw.Kind, dw.Onset = k.Kind, onset
				}
			}
			f.Windows = append(f.Windows, dw)
		}
		files = append(files, f)
	}
	slices.SortFunc(files, func(a, b detectFile) int { return cmp.Compare(a.Name, b.Name) })
	if len(files) == 0 {
		return nil, fmt.Errorf("%s names no data files", dir)
	}
	return files, nil
}

// windowOf returns the index of the window holding t, or −1.
func (f detectFile) windowOf(t time.Time) int {
	return slices.IndexFunc(f.Windows, func(w detectWindow) bool { return !t.Before(w.From) && !t.After(w.To) })
}

// detectOnMeter stores every file as the usage of one subject on a fresh SQLite
// Meter, one event per row at the row's time with the row's value, then runs
// DetectAnomalies with the defaults at every `every` over the span, with the
// Meter's clock set to each run's time. It returns the records stored, per file.
func detectOnMeter(ctx context.Context, files []detectFile, every time.Duration) ([][]detectFound, error) {
	tmp, err := os.MkdirTemp("", "usageeval-detect-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	st, err := sqlite.Open(ctx, filepath.Join(tmp, "usage.db"))
	if err != nil {
		return nil, err
	}
	defer st.Close()

	var first, last time.Time
	for _, f := range files {
		for _, t := range f.Times {
			if first.IsZero() || t.Before(first) {
				first = t
			}
			if t.After(last) {
				last = t
			}
		}
	}
	if first.IsZero() {
		return nil, errors.New("no rows")
	}
	var clock atomic.Int64
	clock.Store(last.Add(time.Minute).UnixNano())
	m, err := usage.New(st, &usage.Config{
		Metrics:     usage.ExampleMetrics(),
		Plans:       usage.ExamplePlans(),
		DefaultPlan: "enterprise",
		MaxLateness: last.Sub(first) + 48*time.Hour,
		Test:        usage.TestConfig{Time: func() time.Time { return time.Unix(0, clock.Load()).UTC() }},
	})
	if err != nil {
		return nil, err
	}
	defer m.Close(ctx)

	subject := func(i int) string { return fmt.Sprintf("s%04d", i) }
	for i, f := range files {
		const batch = 1000
		for lo := 0; lo < len(f.Values); lo += batch {
			hi := min(lo+batch, len(f.Values))
			events := make([]usage.Event, 0, hi-lo)
			for j := lo; j < hi; j++ {
				if !(f.Values[j] > 0) {
					continue // a sum refuses zero and negative values; no event is zero usage
				}
				events = append(events, usage.Event{ID: fmt.Sprint(j), Subject: subject(i), Metric: detectMetric,
					Value: f.Values[j], Time: f.Times[j]})
			}
			res, err := m.TrackBatch(ctx, events)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			for _, r := range res {
				if r.Err != nil {
					return nil, fmt.Errorf("%s: %w", f.Name, r.Err)
				}
			}
		}
	}

	var runs []time.Time
	if every > 0 {
		for t := first.Truncate(every).Add(every); t.Before(last); t = t.Add(every) {
			runs = append(runs, t)
		}
	}
	runs = append(runs, last.Add(time.Hour).Truncate(time.Hour))
	found := make([][]detectFound, len(files))
	for _, at := range runs {
		clock.Store(at.UnixNano())
		for i := range files {
			as, err := m.DetectAnomalies(ctx, subject(i), detectMetric, usage.DetectOptions{})
			if err != nil {
				return nil, fmt.Errorf("%s: %w", files[i].Name, err)
			}
			for _, a := range as {
				found[i] = append(found[i], detectFound{At: a.At, Reported: at, Method: string(a.Method), FraudSuspect: a.FraudSuspect})
			}
		}
	}
	for i := range found {
		slices.SortFunc(found[i], func(a, b detectFound) int { return a.At.Compare(b.At) })
	}
	return found, nil
}

// detectScore is the harness's verdict for one kind of window (or all).
type detectScore struct {
	Kind         string
	Found, Total int
	Delays       []time.Duration // onset to the first report of a record in the window, per found window
	FP           int             // records outside every window, on the files counted
	Days         float64         // subject-days outside windows, on the files counted
	Fraud        int             // found windows with a fraud suspect among their records
}

// scoreDetect scores the records of each file against its windows: per kind
// present, then all. A window is found when a record's time falls in it; its delay
// runs from the onset to the run that first reported such a record, since a record
// is known only when a run has seen the hour or day it describes. False alarms are the records
// outside every window, per subject-day outside windows; a kind's figure counts
// those of the files that hold a window of that kind.
func scoreDetect(files []detectFile, found [][]detectFound) []detectScore {
	byKind := map[string]*detectScore{}
	all := &detectScore{Kind: "all"}
	var kinds []string
	for i, f := range files {
		if len(f.Times) == 0 {
			continue
		}
		span := f.Times[len(f.Times)-1].Sub(f.Times[0])
		for _, w := range f.Windows {
			span -= w.To.Sub(w.From)
		}
		days := max(span.Hours()/24, 0)
		fp := 0
		for _, a := range found[i] {
			if f.windowOf(a.At) < 0 {
				fp++
			}
		}
		seen := map[string]bool{}
		for _, w := range f.Windows {
			s := byKind[w.Kind]
			if s == nil {
				s = &detectScore{Kind: w.Kind}
				byKind[w.Kind] = s
				kinds = append(kinds, w.Kind)
			}
			if !seen[w.Kind] {
				seen[w.Kind] = true
				s.FP += fp
				s.Days += days
			}
			for _, sc := range []*detectScore{s, all} {
				sc.Total++
			}
			var first *detectFound
			fraud := false
			for j := range found[i] {
				a := &found[i][j]
				if a.At.Before(w.From) || a.At.After(w.To) {
					continue
				}
				if first == nil || a.Reported.Before(first.Reported) {
					first = a
				}
				fraud = fraud || a.FraudSuspect
			}
			if first == nil {
				continue
			}
			for _, sc := range []*detectScore{s, all} {
				sc.Found++
				sc.Delays = append(sc.Delays, max(first.Reported.Sub(w.Onset), 0))
				if fraud {
					sc.Fraud++
				}
			}
		}
		all.FP += fp
		all.Days += days
	}
	slices.Sort(kinds)
	out := make([]detectScore, 0, len(kinds)+1)
	for _, k := range kinds {
		out = append(out, *byKind[k])
	}
	return append(out, *all)
}

// medianDelay is the median of the delays in minutes, or −1 when there are none.
func (s detectScore) medianDelay() float64 {
	if len(s.Delays) == 0 {
		return -1
	}
	d := slices.Clone(s.Delays)
	slices.Sort(d)
	n := len(d)
	if n%2 == 1 {
		return d[n/2].Minutes()
	}
	return (d[n/2-1] + d[n/2]).Minutes() / 2
}

func (s detectScore) fpPerDay() float64 {
	if s.Days == 0 {
		return 0
	}
	return float64(s.FP) / s.Days
}

// writeDetectReport prints the table and one RESULT line per kind and overall.
func writeDetectReport(out io.Writer, scores []detectScore) {
	delay := func(s detectScore) string {
		if d := s.medianDelay(); d >= 0 {
			return fmt.Sprintf("%.0f", d)
		}
		return "-"
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\tfound\tonset delay (min)\tfalse alarms/day\tfraud flagged\t")
	for _, s := range scores {
		fmt.Fprintf(tw, "%s\t%d/%d\t%s\t%.3f\t%d/%d\t\n", s.Kind, s.Found, s.Total, delay(s), s.fpPerDay(),
			s.Fraud, s.Found)
	}
	tw.Flush()
	fmt.Fprintln(out)
	for _, s := range scores {
		fmt.Fprintf(out, "RESULT eval=detect kind=%s found=%d/%d onset_delay_min=%s fp_per_day=%.3f fraud_flagged=%d/%d\n",
			s.Kind, s.Found, s.Total, delay(s), s.fpPerDay(), s.Fraud, s.Found)
	}
}
