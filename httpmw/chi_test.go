package httpmw_test

import (
	"context"
	"fmt"
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
		// chi routes by the escaped path when there is one: an ID with a slash.
		{"router.Use, escaped slash", "/v1/documents/a%2Fb", "/v1/documents/{id}", docs, func(router chi.Router, mw func(http.Handler) http.Handler) {
			router.Use(mw)
			router.Route("/v1", func(r chi.Router) { r.Get("/documents/{id}", ok200) })
		}},
	}
	for i, c := range mounts {
		router := chi.NewRouter()
		mw := newMiddleware(t, m,
			httpmw.WithRouteFunc(func(r *http.Request) string {
				path := r.URL.RawPath
				if path == "" {
					path = r.URL.Path
				}
				return router.Find(chi.NewRouteContext(), r.Method, path)
			}),
			httpmw.WithRoutes(map[string]string{c.pattern: c.metric}))
		c.mount(router, mw.Handler)
		tenant := fmt.Sprint("tenant-", i)
		require.Equal(t, http.StatusOK, do(router, "GET", c.path, tenant).StatusCode, c.name)
		flush(t, mw)
		page, err := m.Events(context.Background(), usage.EventQuery{Subject: tenant, Metric: c.metric})
		require.NoError(t, err)
		require.Len(t, page.Events, 1, c.name)
		require.Equal(t, c.pattern, page.Events[0].Properties["route"], c.name)
	}
}
