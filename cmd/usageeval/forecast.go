package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/usagekit/usage/forecast"
)

// namedModel is a model under the name the harness reports it by.
type namedModel struct {
	name  string
	model forecast.Model
}

// harnessModels lists every model the harness knows, for seasonal period m
// (which also scales MASE and defines Naive2) and the seasons given to Auto.
// ses, holt and damped run on seasonally adjusted data, as in M4's benchmarks.
func harnessModels(m int, seasons []int) []namedModel {
	return []namedModel{
		{"naive1", forecast.Naive{}},
		{"snaive", forecast.SeasonalNaive{Season: m}},
		{"naive2", forecast.Naive2{Season: m}},
		{"ses", forecast.Adjusted{Model: forecast.SES{}, Season: m}},
		{"holt", forecast.Adjusted{Model: forecast.Holt{}, Season: m}},
		{"damped", forecast.Adjusted{Model: forecast.Holt{Damped: true}, Season: m}},
		{"theta", forecast.Theta{Season: m}},
		{"hw_add", forecast.HoltWinters{Season: m}},
		{"hw_mul", forecast.HoltWinters{Season: m, Multiplicative: true}},
		{"linear", forecast.Linear{}},
		{"moving_average", forecast.MovingAverage{}},
		{"auto", forecast.Auto{Seasons: seasons}},
	}
}

// score is the accuracy of one model over a data set.
type score struct {
	name   string
	smape  float64 // mean over series, percent
	mase   float64 // mean over series
	owa    float64 // relative to Naive2; NaN when Naive2 is perfect
	failed int     // series where the model erred and Naive1 stood in
	// cover80 and cover95 are the percentages of held-out values inside the
	// 80 % and 95 % prediction intervals, over all series and steps.
	cover80, cover95 float64
	elapsed          time.Duration
}

func runForecast(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("forecast", flag.ContinueOnError)
	fs.SetOutput(out)
	m4Dir := fs.String("m4", "", "folder holding the M4 files <Freq>-train.csv and <Freq>-test.csv")
	freq := fs.String("freq", "hourly", "M4 frequency: hourly")
	csvDir := fs.String("csv", "", "folder of timestamp,value CSV files whose last -h values are held out")
	horizon := fs.Int("h", 0, "forecast horizon for -csv")
	seasonFlag := fs.String("m", "", "seasonal period(s), comma-separated; the first scales MASE and defines Naive2, all go to auto; a lone 24 (hourly) adds the weekly 168")
	modelFlag := fs.String("models", "", "comma-separated models to run (default all)")
	validate := fs.Bool("validate", false, "hold out the last h training values instead of using the test values, to compare designs without looking at test data")
	workers := fs.Int("workers", runtime.NumCPU(), "series forecast in parallel")
	if err := fs.Parse(args); err != nil {
		return err
	}

	var data []series
	var h int
	var seasons []int
	var label string
	switch {
	case *m4Dir != "" && *csvDir != "":
		return errors.New("forecast: give -m4 or -csv, not both")
	case *m4Dir != "":
		spec, ok := m4Frequencies[*freq]
		if !ok {
			return fmt.Errorf("forecast: -freq %q not supported (want hourly)", *freq)
		}
		var err error
		if data, err = loadM4(*m4Dir, spec.prefix); err != nil {
			return err
		}
		h, seasons, label = spec.h, []int{spec.m}, "m4-"+*freq
	case *csvDir != "":
		if *horizon <= 0 {
			return errors.New("forecast: -csv needs a positive -h")
		}
		h, label = *horizon, "csv"
		loaded, skipped, err := loadCSVDir(*csvDir, h)
		if err != nil {
			return err
		}
		if len(skipped) > 0 {
			fmt.Fprintf(out, "skipped %d series with at most %d values: %s\n", len(skipped), h, strings.Join(skipped, " "))
		}
		data = loaded
		seasons = []int{1}
	default:
		return errors.New("forecast: give -m4 DIR or -csv DIR -h H -m M")
	}
	if *seasonFlag != "" {
		var err error
		if seasons, err = parseSeasons(*seasonFlag); err != nil {
			return err
		}
	}
	if len(seasons) == 1 && seasons[0] == 24 {
		seasons = append(seasons, 168)
	}
	if *validate {
		data = validationSplit(data, h)
		label += "-validate"
	}
	if len(data) == 0 {
		return errors.New("forecast: no series to evaluate")
	}

	models, err := selectModels(harnessModels(seasons[0], seasons), *modelFlag)
	if err != nil {
		return err
	}
	scores := evaluate(models, data, h, seasons[0], *workers)
	fmt.Fprintf(out, "%s: %d series, h=%d, m=%d, auto seasons %v\n", label, len(data), h, seasons[0], seasons)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "model\tsMAPE\tMASE\tOWA\tfailed\tin 80%\tin 95%\ttime\t")
	for _, s := range scores {
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%d\t%.1f%%\t%.1f%%\t%s\t\n", s.name, s.smape, s.mase, s.owa, s.failed, s.cover80, s.cover95, s.elapsed.Round(time.Millisecond))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range scores {
		fmt.Fprintf(out, "RESULT eval=forecast model=%s smape=%.3f mase=%.3f owa=%.3f failed=%d\n", s.name, s.smape, s.mase, s.owa, s.failed)
	}
	return nil
}

func parseSeasons(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		m, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || m < 1 {
			return nil, fmt.Errorf("forecast: -m %q: want positive integers separated by commas", s)
		}
		out = append(out, m)
	}
	return out, nil
}

func selectModels(all []namedModel, list string) ([]namedModel, error) {
	if list == "" {
		return all, nil
	}
	var out []namedModel
	for _, name := range strings.Split(list, ",") {
		i := slices.IndexFunc(all, func(m namedModel) bool { return m.name == name })
		if i < 0 {
			return nil, fmt.Errorf("forecast: unknown model %q", name)
		}
		out = append(out, all[i])
	}
	return out, nil
}

// validationSplit replaces each series' test values by the last h training
// values, dropping series left with fewer than h training values.
func validationSplit(data []series, h int) []series {
	var out []series
	for _, s := range data {
		n := len(s.train) - h
		if n < h {
			continue
		}
		out = append(out, series{id: s.id, train: s.train[:n], test: s.train[n:]})
	}
	return out
}

// evaluate scores every model on every series, forecasting series in parallel.
// A model that errs on a series is replaced by Naive1 there and counted as
// failed; Naive2 is always computed, for OWA.
func evaluate(models []namedModel, data []series, h, m, workers int) []score {
	naive2 := evaluateModel(namedModel{"naive2", forecast.Naive2{Season: m}}, data, h, m, workers)
	out := make([]score, len(models))
	for i, nm := range models {
		s := evaluateModel(nm, data, h, m, workers)
		s.owa = 0.5 * (s.smape/naive2.smape + s.mase/naive2.mase)
		out[i] = s
	}
	return out
}

func evaluateModel(nm namedModel, data []series, h, m, workers int) score {
	start := time.Now()
	smapes := make([]float64, len(data))
	mases := make([]float64, len(data))
	failed := make([]bool, len(data))
	in80 := make([]int, len(data))
	in95 := make([]int, len(data))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Go(func() {
			for i := range jobs {
				s := data[i]
				f, err := nm.model.Forecast(s.train, h)
				if err != nil || f.Len() != h {
					failed[i] = true
					f, _ = forecast.Naive{}.Forecast(s.train, h)
				}
				test := s.test[:min(h, len(s.test))]
				smapes[i] = smape(test, f.Point)
				mases[i] = mase(s.train, test, f.Point, m)
				for j, y := range test {
					if y >= f.Lower80[j] && y <= f.Upper80[j] {
						in80[i]++
					}
					if y >= f.Lower95[j] && y <= f.Upper95[j] {
						in95[i]++
					}
				}
			}
		})
	}
	for i := range data {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	sc := score{name: nm.name, elapsed: time.Since(start)}
	points := 0
	for i, s := range data {
		sc.smape += smapes[i]
		sc.mase += mases[i]
		sc.cover80 += float64(in80[i])
		sc.cover95 += float64(in95[i])
		points += min(h, len(s.test))
		if failed[i] {
			sc.failed++
		}
	}
	sc.smape /= float64(len(data))
	sc.mase /= float64(len(data))
	sc.cover80 *= 100 / float64(points)
	sc.cover95 *= 100 / float64(points)
	return sc
}
