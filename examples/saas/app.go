package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpapi"
	"github.com/usagekit/usage/httpmw"
	"github.com/usagekit/usage/store/sqlite"
)

// app is the service: its Meter, reports, keys and handler.
type app struct {
	meter   *usage.Meter
	reports *usage.Reports
	keys    *keyring
	// mw meters the service's endpoints; Close stores what it still queues.
	mw      *httpmw.Middleware
	handler http.Handler
	// close releases everything, the middleware's queue first so that its events
	// are stored before the Meter closes.
	close func(ctx context.Context) error
}

// openApp opens the service on the SQLite file dbPath, keeping reports in
// reportDir, and seeds it with demo usage when the file holds none yet.
func openApp(ctx context.Context, dbPath, reportDir string) (_ *app, err error) {
	st, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		return nil, err
	}
	var closers []func(context.Context) error
	closeAll := func(ctx context.Context) error {
		var errs []error
		for i := len(closers) - 1; i >= 0; i-- {
			errs = append(errs, closers[i](ctx))
		}
		return errors.Join(errs...)
	}
	closers = append(closers, func(context.Context) error { return st.Close() })
	defer func() {
		if err != nil {
			_ = closeAll(context.Background())
		}
	}()

	m, err := usage.New(st, &usage.Config{
		Metrics: usage.ExampleMetrics(),
		Plans:   usage.ExamplePlans(),
		// Seeding stores a month of usage: let it in.
		MaxLateness: (seedDays + 2) * 24 * time.Hour,
	})
	if err != nil {
		return nil, err
	}
	closers = append(closers, m.Close)
	reports, err := usage.NewReports(m, usage.ReportsConfig{Dir: reportDir})
	if err != nil {
		return nil, err
	}
	tenants := demoTenants()
	subjects := make([]string, len(tenants))
	for i, t := range tenants {
		subjects[i] = t.subject
	}
	keys := newKeyring(subjects)

	existing, err := m.Quotas(ctx, tenants[0].subject)
	if err != nil && !errors.Is(err, usage.ErrNoPlan) {
		return nil, err
	}
	if err != nil || usedNothing(existing) {
		if err := seed(ctx, m, reports, time.Now()); err != nil {
			return nil, fmt.Errorf("seeding demo usage: %w", err)
		}
	}

	api, err := httpapi.New(m, httpapi.Options{Authenticate: keys.authenticate, Reports: reports})
	if err != nil {
		return nil, err
	}
	svc, mw, err := service(m, keys)
	if err != nil {
		return nil, err
	}
	closers = append(closers, mw.Close)

	mux := http.NewServeMux()
	mux.Handle("/usage/", http.StripPrefix("/usage", api))
	mux.Handle("/api/", svc)
	mux.Handle("GET /{$}", http.RedirectHandler("/usage/dashboard/", http.StatusFound))
	return &app{meter: m, reports: reports, keys: keys, mw: mw, handler: mux, close: closeAll}, nil
}

func usedNothing(quotas []usage.QuotaStatus) bool {
	for _, q := range quotas {
		if !q.Used.IsZero() {
			return false
		}
	}
	return true
}

// service is the SaaS product itself: two metered endpoints behind the middleware.
// A search is an API call, billed beyond the plan's calls; a document upload counts
// against the documents quota.
func service(m *usage.Meter, keys *keyring) (http.Handler, *httpmw.Middleware, error) {
	mw, err := httpmw.New(m, keys.subject, httpmw.WithRoutes(map[string]string{
		"GET /api/search":     usage.MetricAPICalls,
		"POST /api/documents": usage.MetricDocuments,
	}), httpmw.RefuseAnonymous())
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /api/search", mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintln(w, `{"results":[]}`)
	})))
	mux.Handle("POST /api/documents", mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintln(w, `{"status":"processing"}`)
	})))
	return mux, mw, nil
}

// reportDirOf is where the service keeps reports: a folder beside its database.
func reportDirOf(dbPath string) string {
	return dbPath + "-reports"
}
