package httpapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/internal/testdb"
)

func TestTheDashboardIsServedUnderTheMountWithoutAuthentication(t *testing.T) {
	_, _, h := newAPI(t, testdb.SQLite())
	for path, typ := range map[string]string{
		prefix + "/dashboard/":        "text/html",
		prefix + "/dashboard/app.js":  "text/javascript",
		prefix + "/dashboard/app.css": "text/css",
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		require.Equal(t, http.StatusOK, rec.Code, path)
		require.True(t, strings.HasPrefix(rec.Header().Get("Content-Type"), typ), "%s: %s", path, rec.Header().Get("Content-Type"))
		body, err := io.ReadAll(rec.Body)
		require.NoError(t, err)
		require.NotEmpty(t, body, path)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, prefix+"/dashboard/", nil))
	require.Contains(t, rec.Body.String(), "<html", "the page itself")
}
