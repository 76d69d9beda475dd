package httpmw_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpmw"
	"github.com/usagekit/usage/internal/testdb"
)

// The test plan's metrics: documents has a limit without overage (charged before
// the handler), calls a limit with overage and pages none (recorded after the
// response).
const (
	docs       = "documents"
	calls      = "api_calls"
	pages      = "pages"
	docsLimit  = 100
	callsLimit = 1000
)

func testConfig() *usage.Config {
	return &usage.Config{
		Metrics: []usage.Metric{{Key: docs}, {Key: calls}, {Key: pages}},
		Plans: []usage.Plan{{Key: "pro", Limits: map[string]usage.Limit{
			docs:  {Included: docsLimit},
			calls: {Included: callsLimit, Overage: true},
		}}},
		DefaultPlan: "pro",
	}
}

// subjectFromHeader reads the subject from X-Tenant and the user from X-User, as a
// host's authentication would from a token.
func subjectFromHeader(r *http.Request) (string, string, bool) {
	s := r.Header.Get("X-Tenant")
	return s, r.Header.Get("X-User"), s != ""
}

// newMeter opens a Meter on a fresh database of the backend, closed when the test
// ends.
func newMeter(t testing.TB, db testdb.Backend) *usage.Meter {
	t.Helper()
	st, _ := db.OpenNew(t)
	m, err := usage.New(st, testConfig())
	require.NoError(t, err)
	t.Cleanup(func() { m.Close(context.Background()) })
	return m
}

// newMiddleware builds a Middleware over m, metering the routes of routes(), and
// closes it when the test ends (before the Meter).
func newMiddleware(t *testing.T, m httpmw.Meter, opts ...httpmw.Option) *httpmw.Middleware {
	t.Helper()
	opts = append([]httpmw.Option{httpmw.WithRoutes(routes())}, opts...)
	mw, err := httpmw.New(m, subjectFromHeader, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, mw.Close(context.Background())) })
	return mw
}

func routes() map[string]string {
	return map[string]string{
		"POST /documents": docs,
		"GET /search":     calls,
		"GET /pages/{id}": pages,
	}
}

// serveMux returns a ServeMux with each route of routes() wrapped in mw and served
// by h.
func serveMux(mw *httpmw.Middleware, h http.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	for pattern := range routes() {
		mux.Handle(pattern, mw.Handler(h))
	}
	return mux
}

var ok200 = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })

// do sends one request to h as tenant and returns the response.
func do(h http.Handler, method, path, tenant string, header ...string) *http.Response {
	r := httptest.NewRequest(method, path, nil)
	if tenant != "" {
		r.Header.Set("X-Tenant", tenant)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

// used returns the quota's usage of subject's metric now.
func used(t *testing.T, m *usage.Meter, subject, metric string) float64 {
	t.Helper()
	q, err := m.Quotas(context.Background(), subject)
	require.NoError(t, err)
	for _, s := range q {
		if s.Metric == metric {
			return s.Used.Float64()
		}
	}
	t.Fatalf("no quota %s", metric)
	return 0
}

// flush closes mw, so its queued events are stored.
func flush(t *testing.T, mw *httpmw.Middleware) {
	t.Helper()
	require.NoError(t, mw.Close(context.Background()))
}
