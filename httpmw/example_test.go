package httpmw_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpmw"
	"github.com/usagekit/usage/store/sqlite"
)

// A service whose document uploads are limited to two a month: the third is
// answered 429 with a problem body, and its handler does not run.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "httpmw-example")
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(ctx, filepath.Join(dir, "usage.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	m, err := usage.New(st, &usage.Config{
		Metrics:     []usage.Metric{{Key: "documents"}},
		Plans:       []usage.Plan{{Key: "free", Limits: map[string]usage.Limit{"documents": {Included: 2}}}},
		DefaultPlan: "free",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close(ctx)

	// The subject comes from the host's authentication; a header stands in for it.
	tenant := func(r *http.Request) (string, string, bool) {
		t := r.Header.Get("X-Tenant")
		return t, "", t != ""
	}
	mw, err := httpmw.New(m, tenant, httpmw.WithRoutes(map[string]string{"POST /documents": "documents"}))
	if err != nil {
		log.Fatal(err)
	}
	defer mw.Close(ctx)
	mux := http.NewServeMux()
	mux.Handle("POST /documents", mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})))

	for range 3 {
		r := httptest.NewRequest("POST", "/documents", nil)
		r.Header.Set("X-Tenant", "acme")
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		fmt.Println(w.Code, "remaining:", w.Header().Get("X-RateLimit-Remaining"))
		if w.Code == http.StatusTooManyRequests {
			var p httpmw.Problem
			_ = json.NewDecoder(w.Body).Decode(&p)
			fmt.Println(p.Title, p.ViolatedPolicies, *p.Used, "of", *p.Limit)
		}
	}
	// Output:
	// 201 remaining: 1
	// 201 remaining: 0
	// 429 remaining: 0
	// Quota exceeded [documents] 2 of 2
}

// A handler that learns its cost while it works, here the number of documents in
// a batch upload, charges that instead of the default 1. The limit allows no
// overage, so the batch was charged 1 before its handler ran, and that charge is
// amended to 12 when the handler returns.
func ExampleSetCost() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "httpmw-example")
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(ctx, filepath.Join(dir, "usage.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	m, err := usage.New(st, &usage.Config{
		Metrics:     []usage.Metric{{Key: "documents"}},
		Plans:       []usage.Plan{{Key: "free", Limits: map[string]usage.Limit{"documents": {Included: 100}}}},
		DefaultPlan: "free",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close(ctx)

	// The subject comes from the host's authentication; a header stands in for it.
	tenant := func(r *http.Request) (string, string, bool) {
		t := r.Header.Get("X-Tenant")
		return t, "", t != ""
	}
	mw, err := httpmw.New(m, tenant, httpmw.WithRoutes(map[string]string{
		"POST /documents": "documents",
		"POST /batches":   "documents",
	}))
	if err != nil {
		log.Fatal(err)
	}
	defer mw.Close(ctx)
	mux := http.NewServeMux()
	mux.Handle("POST /documents", mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})))
	mux.Handle("POST /batches", mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		processed := 12 // counted while reading the upload
		httpmw.SetCost(r.Context(), float64(processed))
		w.WriteHeader(http.StatusCreated)
	})))

	for _, path := range []string{"/documents", "/batches"} {
		r := httptest.NewRequest("POST", path, nil)
		r.Header.Set("X-Tenant", "acme")
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		q, err := m.CheckQuota(ctx, "acme", "documents", 1)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("POST", path, w.Code, "used:", q.Used, "of", q.Limit)
	}
	// Output:
	// POST /documents 201 used: 1 of 100
	// POST /batches 201 used: 13 of 100
}
