package main

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/store"
)

// zipfExponent is the exponent s of -dist zipf: subject k (from 1) sends events in
// proportion to 1/k^s. With s = 1.1 and 10,000 subjects, the first sends about a
// seventh of the events and the first hundred about two thirds.
const (
	zipfExponent     = 1.1
	zipfExponentText = "s = 1.1"
)

// loadRun is what the producers of one run measured.
type loadRun struct {
	latencies []time.Duration // of every call, unsorted
	// afterFirstPass are the latencies of the calls whose events are all numbered
	// past p.subjects × p.metrics, unsorted: under -dist uniform, the calls after
	// every quota row's first event, which creates the row.
	afterFirstPass []time.Duration
	elapsed        time.Duration
	failed         int64
}

// produce runs p.producers goroutines that track the events numbered first+1 to
// last, p.batch per call, and returns the calls' latencies. Events go to the
// subjects in turn (-dist uniform), at random (-dist random) or by a Zipf law
// (-dist zipf).
func produce(ctx context.Context, m *usage.Meter, p ingestParams, first, last int64) loadRun {
	// The events are made as cheaply as a host would make them, so that the run's
	// CPU goes to tracking them, not to fmt; subject names are made per event, as a
	// host has them per request, not held for every subject: with a million subjects
	// the names alone would be tens of megabytes of the run's memory.
	var law *zipfLaw
	if p.dist == "zipf" {
		law = newZipf(zipfExponent, p.subjects)
	}
	metrics, subjects := int64(max(p.metrics, 1)), int64(p.subjects)
	keys := make([]string, metrics)
	for k := range keys {
		keys[k] = metricKey(k)
	}
	var next atomic.Int64
	next.Store(first)
	latencies := make([][]time.Duration, p.producers)
	afterFirstPass := make([][]time.Duration, p.producers)
	var failed atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for w := range p.producers {
		wg.Go(func() {
			pick := subjectPicker(p, law, uint64(w)+uint64(first))
			event := func(i int64) usage.Event {
				return usage.Event{ID: p.eventID(i), Subject: p.subjectPrefix + "tenant-" + strconv.Itoa(pick(i)),
					Metric: keys[(i-first)/subjects%metrics], Value: 1, Properties: propertiesOf(p.properties, i)}
			}
			var evs []usage.Event // reused from call to call, as TrackBatch keeps none
			for {
				hi := next.Add(int64(p.batch))
				lo := hi - int64(p.batch) + 1
				if lo > last {
					return
				}
				hi = min(hi, last)
				t0 := time.Now()
				var err error
				if p.batch == 1 {
					_, err = m.Track(ctx, event(lo))
				} else {
					evs = evs[:0]
					for i := lo; i <= hi; i++ {
						evs = append(evs, event(i))
					}
					var res []usage.BatchResult
					res, err = m.TrackBatch(ctx, evs)
					for _, r := range res {
						err = errors.Join(err, r.Err)
					}
				}
				took := time.Since(t0)
				latencies[w] = append(latencies[w], took)
				if lo > first+subjects*metrics {
					afterFirstPass[w] = append(afterFirstPass[w], took)
				}
				if err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return loadRun{latencies: slices.Concat(latencies...), afterFirstPass: slices.Concat(afterFirstPass...),
		elapsed: time.Since(start), failed: failed.Load()}
}

// metricKey is the key of the k-th metric of a run: api_calls, then metric_2,
// metric_3 and so on.
func metricKey(k int) string {
	if k == 0 {
		return "api_calls"
	}
	return "metric_" + strconv.Itoa(k+1)
}

// subjectPicker returns the index of the subject of event i for one producer:
// i's turn with -dist uniform, a draw (seeded by seed) of every subject alike with
// -dist random, or of law with -dist zipf. In turn, a commit's subjects are those
// that follow each other in the turn; drawn, they are anywhere among all.
func subjectPicker(p ingestParams, law *zipfLaw, seed uint64) func(i int64) int {
	n := int64(p.subjects)
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	switch {
	case n == 1 || p.dist == "uniform":
		return func(i int64) int { return int(i % n) }
	case p.dist == "random":
		return func(int64) int { return int(r.Int64N(n)) }
	}
	return func(int64) int { return law.draw(r) }
}

// zipfLaw draws k in [0, n) with probability proportional to 1/(k+1)^s, by
// inverting the cumulative weights (a binary search per draw). The weights are
// read only, so that every producer shares one table: one per producer would be
// half a gigabyte at a million subjects.
type zipfLaw struct {
	cum   []float64
	total float64
}

func newZipf(s float64, n int) *zipfLaw {
	z := &zipfLaw{cum: make([]float64, n)}
	for k := range n {
		z.total += math.Pow(float64(k+1), -s)
		z.cum[k] = z.total
	}
	return z
}

// draw is one draw of the law with r.
func (z *zipfLaw) draw(r *rand.Rand) int {
	k, _ := slices.BinarySearch(z.cum, r.Float64()*z.total)
	return min(k, len(z.cum)-1)
}

// commitCounter is a store that counts the distinct subjects of each commit.
type commitCounter struct {
	store.Store
	commits, subjects atomic.Int64
}

func (c *commitCounter) Ingest(ctx context.Context, params *store.IngestParams) (*store.IngestResult, error) {
	seen := make(map[string]struct{}, 64)
	for _, e := range params.Events {
		seen[e.Event.Subject] = struct{}{}
	}
	c.commits.Add(1)
	c.subjects.Add(int64(len(seen)))
	return c.Store.Ingest(ctx, params)
}

// subjectsPerCommit is the mean number of distinct subjects of a commit.
func (c *commitCounter) subjectsPerCommit() float64 {
	if n := c.commits.Load(); n > 0 {
		return float64(c.subjects.Load()) / float64(n)
	}
	return 0
}

// eventID is the ID of event i under -ids: "e" and i (counter), a random UUID,
// version 4 (random), or none, for the Meter to generate (none).
func (p ingestParams) eventID(i int64) string {
	switch p.ids {
	case "random":
		return uuid.NewString()
	case "none":
		return ""
	}
	return "e" + strconv.FormatInt(i, 10)
}

// idsName is -ids as a RESULT line names it.
func (p ingestParams) idsName() string {
	if p.ids == "" {
		return "counter"
	}
	return p.ids
}
