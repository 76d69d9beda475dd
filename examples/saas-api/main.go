// Command saas-api is a small service metered by the httpmw middleware: two routes
// are metered, and one of them is limited. Each request names its tenant in the
// X-Tenant header (a stand-in for the host's authentication).
//
//	go run ./examples/saas-api [-addr localhost:8080] [-db usage.db]
//
//	curl -i -X POST -H 'X-Tenant: acme' localhost:8080/v1/documents   # 3 a month, then 429
//	curl -i -H 'X-Tenant: acme' localhost:8080/v1/search               # metered, overage billed
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpmw"
	"github.com/usagekit/usage/store/sqlite"
)

func main() {
	addr := flag.String("addr", "localhost:8080", "address to listen on")
	dbPath := flag.String("db", "", "SQLite file to use (default: a new file in a temporary folder, removed at exit)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *addr, *dbPath); err != nil {
		log.Fatal(err)
	}
}

// config is the service's catalog: documents are limited to three a month with no
// overage, search calls to a thousand with overage.
func config() *usage.Config {
	return &usage.Config{
		Metrics: []usage.Metric{{Key: usage.MetricDocuments}, {Key: usage.MetricAPICalls}},
		Plans: []usage.Plan{{Key: "starter", Limits: map[string]usage.Limit{
			usage.MetricDocuments: {Included: 3},
			usage.MetricAPICalls:  {Included: 1000, Overage: true},
		}}},
		DefaultPlan: "starter",
	}
}

// service returns the service's handler, metered by mw.
func service(m *usage.Meter) (http.Handler, *httpmw.Middleware, error) {
	mw, err := httpmw.New(m, func(r *http.Request) (string, string, bool) {
		t := r.Header.Get("X-Tenant")
		return t, "", t != ""
	}, httpmw.WithRoutes(map[string]string{
		"POST /v1/documents": usage.MetricDocuments,
		"GET /v1/search":     usage.MetricAPICalls,
	}), httpmw.RefuseAnonymous())
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /v1/documents", mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintln(w, `{"id":"doc_1","status":"processing"}`)
	})))
	mux.Handle("GET /v1/search", mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, `{"results":[]}`)
	})))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	return mux, mw, nil
}

func run(ctx context.Context, addr, dbPath string) error {
	if dbPath == "" {
		dir, err := os.MkdirTemp("", "usage-saas-api")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dbPath = filepath.Join(dir, "usage.db")
	}
	st, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer st.Close()
	m, err := usage.New(st, config())
	if err != nil {
		return err
	}
	defer m.Close(context.Background())
	h, mw, err := service(m)
	if err != nil {
		return err
	}
	// Closed before the Meter, so the events still queued are stored.
	defer mw.Close(context.Background())

	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Printf("listening on http://%s", addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
