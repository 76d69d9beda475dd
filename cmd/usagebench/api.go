package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpapi"
)

// runAPI measures the REST API through its handler over loopback HTTP: GET
// /v1/summary and POST /v1/events, each for a while with many clients, every client
// a tenant of its own on the professional plan (overage allowed, so no event is
// refused). It reports requests per second and latency percentiles per operation.
func runAPI(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("api", flag.ContinueOnError)
	kind := fs.String("store", "sqlite", "store: sqlite or postgres")
	dsn := fs.String("dsn", "", "Postgres DSN (default "+defaultDSN+")")
	clients := fs.Int("clients", 64, "concurrent clients")
	duration := fs.Duration("duration", 3*time.Second, "how long each operation runs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *clients < 1 || *duration <= 0 {
		return errors.New("api: -clients and -duration must be positive")
	}
	ctx := context.Background()
	m, closeMeter, err := openExampleMeter(ctx, *kind, *dsn, "professional", 1)
	if err != nil {
		return err
	}
	defer closeMeter()
	h, err := httpapi.New(m, httpapi.Options{Authenticate: func(r *http.Request) (httpapi.Principal, error) {
		subject, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subject == "" {
			return httpapi.Principal{}, errors.New("no bearer token")
		}
		return httpapi.Principal{Subject: subject}, nil
	}})
	if err != nil {
		return err
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *clients, MaxConnsPerHost: *clients}}
	defer client.CloseIdleConnections()
	// Every tenant has usage, so its summary has something to price.
	for i := range *clients {
		if _, err := m.Track(ctx, usage.Event{Subject: tenant(i), Metric: usage.MetricAPICalls, Value: 1}); err != nil {
			return err
		}
	}

	var seq atomic.Int64
	ops := []struct {
		name string
		req  func(c int) (*http.Request, error)
		want int
	}{
		{"summary", func(c int) (*http.Request, error) {
			return http.NewRequest("GET", srv.URL+"/v1/summary", nil)
		}, http.StatusOK},
		{"track", func(c int) (*http.Request, error) {
			r, err := http.NewRequest("POST", srv.URL+"/v1/events", bytes.NewReader([]byte(`{"metric":"api_calls","value":"1"}`)))
			if err == nil {
				r.Header.Set("Idempotency-Key", fmt.Sprint("bench-", seq.Add(1)))
			}
			return r, err
		}, http.StatusCreated},
	}
	for _, op := range ops {
		lat, err := loadAPI(client, *clients, *duration, func(c int) (*http.Request, error) {
			r, err := op.req(c)
			if err == nil {
				r.Header.Set("Authorization", "Bearer "+tenant(c))
			}
			return r, err
		}, op.want)
		if err != nil {
			return fmt.Errorf("api %s: %w", op.name, err)
		}
		slices.Sort(lat)
		rps := float64(len(lat)) / duration.Seconds()
		p50, p99 := percentile(lat, 0.50), percentile(lat, 0.99)
		fmt.Fprintf(out, "api %s on %s, %d clients over loopback: %.0f requests/s, p50 %v, p99 %v\n",
			op.name, *kind, *clients, rps, p50, p99)
		fmt.Fprintf(out, "RESULT bench=api op=%s store=%s clients=%d requests=%d rps=%.0f p50_ms=%.3f p99_ms=%.3f\n",
			op.name, *kind, *clients, len(lat), rps, ms(p50), ms(p99))
	}
	return nil
}

// tenant names client c's subject.
func tenant(c int) string { return fmt.Sprintf("tenant-%03d", c) }

// loadAPI runs clients goroutines sending the requests newRequest makes for a
// duration, and returns every request's latency. A response other than want fails
// the run.
func loadAPI(client *http.Client, clients int, d time.Duration, newRequest func(c int) (*http.Request, error), want int) ([]time.Duration, error) {
	deadline := time.Now().Add(d)
	lats := make([][]time.Duration, clients)
	errs := make([]error, clients)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				r, err := newRequest(c)
				if err != nil {
					errs[c] = err
					return
				}
				began := time.Now()
				resp, err := client.Do(r)
				if err != nil {
					errs[c] = err
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != want {
					errs[c] = fmt.Errorf("%s %s answered %d: %s", r.Method, r.URL.Path, resp.StatusCode, body)
					return
				}
				lats[c] = append(lats[c], time.Since(began))
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return slices.Concat(lats...), nil
}
