package httpmw_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/httpmw"
	"github.com/usagekit/usage/internal/testdb"
)

// WithMetric meters the routes WithRoutes does not name; WithMetricFunc decides
// from the request and its route, and replaces both.
func TestTheMetricComesFromTheRoutesTheFallbackOrAFunction(t *testing.T) {
	t.Parallel()
	m := newMeter(t, testdb.SQLite())
	fallback := newMiddleware(t, m, httpmw.WithMetric(pages))
	mux := http.NewServeMux()
	mux.Handle("GET /search", fallback.Handler(ok200))
	mux.Handle("GET /other", fallback.Handler(ok200))
	require.Equal(t, http.StatusOK, do(mux, "GET", "/search", "acme").StatusCode)
	require.Equal(t, http.StatusOK, do(mux, "GET", "/other", "acme").StatusCode)
	flush(t, fallback)
	require.Equal(t, 1.0, used(t, m, "acme", calls), "a route WithRoutes names")
	require.Equal(t, 1.0, used(t, m, "acme", pages), "any other route")

	byHeader := newMiddleware(t, m, httpmw.WithMetric(calls), httpmw.WithMetricFunc(func(r *http.Request, route string) (string, bool) {
		if r.Header.Get("X-Free") != "" {
			return "", false
		}
		return pages, route == "GET /search"
	}))
	mux = http.NewServeMux()
	mux.Handle("GET /search", byHeader.Handler(ok200))
	mux.Handle("GET /other", byHeader.Handler(ok200))
	require.Equal(t, http.StatusOK, do(mux, "GET", "/search", "acme").StatusCode)
	require.Equal(t, http.StatusOK, do(mux, "GET", "/search", "acme", "X-Free", "1").StatusCode)
	require.Equal(t, http.StatusOK, do(mux, "GET", "/other", "acme").StatusCode)
	flush(t, byHeader)
	require.Equal(t, 2.0, used(t, m, "acme", pages), "only the function's choice")
	require.Equal(t, 1.0, used(t, m, "acme", calls), "neither the routes nor the fallback")
	require.Equal(t, int64(1), byHeader.Stats().Charged)
}
