package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpmw"
	"github.com/usagekit/usage/store/sqlite"
)

func TestTheFourthDocumentIsRefusedAndSearchesAreMetered(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "usage.db"))
	require.NoError(t, err)
	defer st.Close()
	m, err := usage.New(st, config())
	require.NoError(t, err)
	defer m.Close(ctx)
	h, mw, err := service(m)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()

	send := func(method, path, tenant string) *http.Response {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		if tenant != "" {
			req.Header.Set("X-Tenant", tenant)
		}
		res, err := srv.Client().Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	for i := range 3 {
		res := send("POST", "/v1/documents", "acme")
		require.Equal(t, http.StatusCreated, res.StatusCode)
		require.True(t, strings.HasPrefix(res.Header.Get("RateLimit"), fmt.Sprintf(`"documents";r=%d;t=`, 2-i)),
			res.Header.Get("RateLimit"))
	}
	res := send("POST", "/v1/documents", "acme")
	require.Equal(t, http.StatusTooManyRequests, res.StatusCode)
	var p httpmw.Problem
	require.NoError(t, json.NewDecoder(res.Body).Decode(&p))
	require.Equal(t, usage.MetricDocuments, p.Metric)
	require.NotEmpty(t, res.Header.Get("Retry-After"))
	require.Equal(t, http.StatusOK, send("GET", "/v1/search", "acme").StatusCode)
	require.Equal(t, http.StatusUnauthorized, send("GET", "/v1/search", "").StatusCode)
	require.Equal(t, http.StatusOK, send("GET", "/healthz", "").StatusCode)

	require.NoError(t, mw.Close(ctx))
	q, err := m.Quotas(ctx, "acme")
	require.NoError(t, err)
	require.Equal(t, 1.0, q[0].Used.Float64(), q[0].Metric) // api_calls
	require.Equal(t, 3.0, q[1].Used.Float64(), q[1].Metric) // documents
}
