package main

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// TestPacedTurnsShareTheRequestsAmongTheHandlers: in turns, every handler gets the
// same share of each client's requests, and each result counts its own.
func TestPacedTurnsShareTheRequestsAmongTheHandlers(t *testing.T) {
	t.Parallel()
	var served [3]atomic.Int64
	hs := make([]http.Handler, len(served))
	for i := range hs {
		hs[i] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			served[i].Add(1)
			_, _ = w.Write(okBody)
		})
	}
	// 150 requests per client, 50 to each handler.
	rs, err := runPacedTurns(hs, pace{rate: 3000, d: 200 * time.Millisecond, clients: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range hs {
		if got := served[i].Load(); got != 200 {
			t.Errorf("handler %d served %d requests, want 200", i, got)
		}
		if rs[i].requests != 200 || rs[i].p50 <= 0 || rs[i].p99 < rs[i].p50 {
			t.Errorf("handler %d: %d requests timed, p50 %s, p99 %s", i, rs[i].requests, rs[i].p50, rs[i].p99)
		}
	}
}

// TestPacedTurnsRefuse: a pace too short for one request per client and handler
// is refused, and so is a run whose handler fails.
func TestPacedTurnsRefuse(t *testing.T) {
	t.Parallel()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(okBody) })
	failing := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTooManyRequests) })
	if _, err := runPacedTurns([]http.Handler{ok, ok, ok}, pace{rate: 16, d: time.Second, clients: 8}, nil); err == nil {
		t.Error("two requests per client for three handlers: want an error")
	}
	if _, err := runPacedTurns([]http.Handler{ok, failing}, pace{rate: 400, d: 50 * time.Millisecond, clients: 2}, nil); err == nil {
		t.Error("a handler answering 429: want an error")
	}
}
