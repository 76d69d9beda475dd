package usage

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/usagekit/usage/store"
)

// DetectAllOptions tune DetectAllAnomalies.
type DetectAllOptions struct {
	DetectOptions
	// Concurrency is how many series are scored at once. Defaults to
	// DefaultDetectConcurrency.
	Concurrency int
}

// DetectSummary is what DetectAllAnomalies did.
type DetectSummary struct {
	// Subjects and Series count the subjects and the series (subject and metric)
	// scored, including those that failed.
	Subjects, Series int
	// Found is the number of anomaly records stored.
	Found int
	// Failed is the number of series whose detection failed.
	Failed int
}

const (
	// maxDetectErrors bounds the errors of failed series DetectAllAnomalies returns.
	maxDetectErrors = 10
	// detectPageSize is the number of series DetectAllAnomalies lists at a time.
	detectPageSize = 100
)

// DetectAllAnomalies runs DetectAnomalies for every series (subject and metric of
// the Config) with usage in the lookback window, paging through them in subject
// order, Concurrency at a time: memory stays bounded by Concurrency series, and the
// time by the number of series. A series that fails does not stop the others. It
// stops early when ctx ends. The summary counts what was done in every case; the
// error is non-nil when ctx ended, the series could not be listed, or some series
// failed (it then joins the first ten of their errors).
func (m *Meter) DetectAllAnomalies(ctx context.Context, opts DetectAllOptions) (DetectSummary, error) {
	if err := m.checkOpen(); err != nil {
		return DetectSummary{}, err
	}
	if _, err := opts.DetectOptions.withDefaults(); err != nil {
		return DetectSummary{}, err
	}
	if opts.Concurrency < 0 {
		return DetectSummary{}, invalid("concurrency", "%d: must not be negative", opts.Concurrency)
	}
	workers := cmp.Or(opts.Concurrency, DefaultDetectConcurrency)
	since := m.now().Truncate(time.Hour).Add(-cmp.Or(opts.Lookback, DefaultAnomalyLookback))

	var (
		sum      DetectSummary
		errs     []error
		mu       sync.Mutex
		wg       sync.WaitGroup
		slots    = make(chan struct{}, workers)
		after    store.SeriesKey
		lastSubj string
	)
	defer wg.Wait()
	finish := func(err error) (DetectSummary, error) {
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		return sum, errors.Join(append([]error{err}, errs...)...)
	}
	for {
		res, err := m.store.ListActiveSeries(ctx, &store.ListActiveSeriesParams{Since: since, After: after,
			Limit: detectPageSize})
		if err != nil {
			return finish(fmt.Errorf("usage: list series with usage: %w", err))
		}
		for _, key := range res.Series {
			after = key
			if _, ok := m.cfg.metrics[key.Metric]; !ok {
				continue // a metric no longer configured
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return finish(ctx.Err())
			}
			mu.Lock()
			sum.Series++
			if key.Subject != lastSubj {
				sum.Subjects++
				lastSubj = key.Subject
			}
			mu.Unlock()
			wg.Go(func() {
				defer func() { <-slots }()
				found, err := m.DetectAnomalies(ctx, key.Subject, key.Metric, opts.DetectOptions)
				mu.Lock()
				defer mu.Unlock()
				sum.Found += len(found)
				if err != nil && ctx.Err() == nil {
					sum.Failed++
					if len(errs) < maxDetectErrors {
						errs = append(errs, err)
					}
				}
			})
		}
		if len(res.Series) < detectPageSize {
			return finish(ctx.Err())
		}
	}
}
