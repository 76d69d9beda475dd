package httpmw_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpmw"
	"github.com/usagekit/usage/internal/testdb"
)

// The route function of the WithRouteFunc doc finds chi's whole pattern before
// the handler runs, with the middleware mounted for the whole router, inside a
// sub-router or on one route.
func TestChiRoutesAreFoundWhereverTheMiddlewareIsMounted(t *testing.T) {
	t.Parallel()
	m := newMeter(t, testdb.SQLite())
	mounts := []struct {
		name, path, pattern, metric string
		mount                       func(router chi.Router, mw func(http.Handler) http.Handler)
	}{
		{"router.Use", "/v1/documents/7", "/v1/documents/{id}", docs, func(router chi.Router, mw func(http.Handler) http.Handler) {
			router.Use(mw)
			router.Route("/v1", func(r chi.Router) { r.Get("/documents/{id}", ok200) })
		}},
		{"inside Route", "/v1/search", "/v1/search", calls, func(router chi.Router, mw func(http.Handler) http.Handler) {
			router.Route("/v1", func(r chi.Router) {
				r.Use(mw)
				r.Get("/search", ok200)
			})
		}},
		{"With", "/pages/3", "/pages/{id}", pages, func(router chi.Router, mw func(http.Handler) http.Handler) {
			router.With(mw).Get("/pages/{id}", ok200)
		}},
	}
	for _, c := range mounts {
		router := chi.NewRouter()
		mw := newMiddleware(t, m,
			httpmw.WithRouteFunc(func(r *http.Request) string {
				return router.Find(chi.NewRouteContext(), r.Method, r.URL.Path)
			}),
			httpmw.WithRoutes(map[string]string{c.pattern: c.metric}))
		c.mount(router, mw.Handler)
		require.Equal(t, http.StatusOK, do(router, "GET", c.path, "acme").StatusCode, c.name)
		flush(t, mw)
		page, err := m.Events(context.Background(), usage.EventQuery{Subject: "acme", Metric: c.metric})
		require.NoError(t, err)
		require.Len(t, page.Events, 1, c.name)
		require.Equal(t, c.pattern, page.Events[0].Properties["route"], c.name)
	}
}
