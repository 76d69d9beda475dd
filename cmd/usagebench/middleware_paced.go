package main

import (
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"time"
)

// pace is an open-loop load: requests at a fixed rate, spread over clients
// goroutines, each sent at its scheduled time whether or not the ones before it
// were answered, so the load does not slow down when the server does.
type pace struct {
	rate    float64 // requests per second, all clients together
	d       time.Duration
	clients int
}

func (p pace) String() string {
	return fmt.Sprintf("%.0f requests/s for %s, %d clients", p.rate, p.d, p.clients)
}

// pacedResult is the time each request spent in ServeHTTP, at the pace.
type pacedResult struct {
	requests int
	// rate is the requests per second achieved: below the pace's when the
	// handler or the machine could not keep up.
	rate           float64
	mean, p50, p99 time.Duration
	// allocs is the process's allocations per request, from the first request to
	// the end of the run (and of storing its events, see runPaced).
	allocs float64
	// cpu is the process's CPU time per request, over the same span.
	cpu time.Duration
}

// runPaced serves p's requests to h and times each ServeHTTP call. finish, when
// not nil, runs once the requests are served and before the allocations are
// counted: the middleware's Close, so storing the last events counts too.
func runPaced(h http.Handler, p pace, finish func() error) (pacedResult, error) {
	rs, err := runPacedTurns([]http.Handler{h}, p, finish)
	if err != nil {
		return pacedResult{}, err
	}
	return rs[0], nil
}

// runPacedTurns serves p's requests to the handlers in turn: client c sends its
// k-th request to handler (k+c) mod len(hs), so that every handler meets the
// machine in the same state, whatever else runs on it meanwhile, and gets an
// equal share of the requests. Each result's allocations and CPU time are the
// whole run's per request, of all the handlers together.
func runPacedTurns(hs []http.Handler, p pace, finish func() error) ([]pacedResult, error) {
	if p.rate <= 0 || p.d <= 0 || p.clients < 1 {
		return nil, fmt.Errorf("paced run: -rate, -for and -clients must be positive (got %g, %s, %d)", p.rate, p.d, p.clients)
	}
	perClient := int(p.rate * p.d.Seconds() / float64(p.clients))
	if perClient < len(hs) {
		return nil, fmt.Errorf("paced run: %s is less than one request per client and handler", p)
	}
	interval := time.Duration(float64(p.clients) / p.rate * float64(time.Second))
	// lat[c][i] holds client c's times for handler i.
	lat := make([][][]time.Duration, p.clients)
	reqs := make([]*http.Request, p.clients)
	writers := make([]*discardWriter, p.clients)
	for c := range lat {
		lat[c] = make([][]time.Duration, len(hs))
		for i := range hs {
			lat[c][i] = make([]time.Duration, 0, perClient/len(hs)+1)
		}
		reqs[c], writers[c] = benchRequest(c)
	}
	var failed error
	var mu sync.Mutex
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	cpu0 := cpuTime()
	start := time.Now()
	var wg sync.WaitGroup
	for c := range p.clients {
		wg.Go(func() {
			r, w := reqs[c], writers[c]
			// Clients start spread over one interval, not all at once.
			first := start.Add(interval * time.Duration(c) / time.Duration(p.clients))
			for k := range perClient {
				if d := time.Until(first.Add(interval * time.Duration(k))); d > 0 {
					time.Sleep(d)
				}
				i := (k + c) % len(hs)
				clear(w.header)
				w.code = 0
				t := time.Now()
				hs[i].ServeHTTP(w, r)
				lat[c][i] = append(lat[c][i], time.Since(t))
				if w.code != http.StatusOK {
					mu.Lock()
					failed = fmt.Errorf("paced run: status %d", w.code)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if finish != nil {
		if err := finish(); err != nil {
			return nil, err
		}
	}
	cpu := cpuTime() - cpu0
	runtime.ReadMemStats(&after)
	if failed != nil {
		return nil, failed
	}
	total := p.clients * perClient
	out := make([]pacedResult, len(hs))
	for i := range hs {
		var all []time.Duration
		for c := range lat {
			all = append(all, lat[c][i]...)
		}
		slices.Sort(all)
		var sum time.Duration
		for _, d := range all {
			sum += d
		}
		n := len(all)
		out[i] = pacedResult{requests: n, rate: float64(n) / elapsed.Seconds(), mean: sum / time.Duration(n), p50: all[n/2], p99: all[n*99/100],
			allocs: float64(after.Mallocs-before.Mallocs) / float64(total), cpu: cpu / time.Duration(total)}
	}
	return out, nil
}
