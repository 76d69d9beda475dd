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
// an upload, charges that instead of the default 1.
func ExampleSetCost() {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		processed := 12
		httpmw.SetCost(r.Context(), float64(processed))
		httpmw.SetProperty(r.Context(), "format", "pdf")
	})
	_ = h // wrap it: mux.Handle("POST /v1/batches", mw.Handler(h))
}
