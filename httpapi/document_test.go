package httpapi_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/httpapi"
)

func TestTheDocumentIsValidOpenAPI31AndServedAsJSON(t *testing.T) {
	ok, errs := documentValidator(t).ValidateDocument()
	require.True(t, ok, violations(errs))
	eachEnv(t, func(t *testing.T, e *env) {
		r := e.do(request{method: "GET", path: "/openapi.json"})
		require.Equal(t, http.StatusOK, r.status)
		want, err := httpapi.OpenAPI()
		require.NoError(t, err)
		require.JSONEq(t, string(want), string(r.body))
	})
}

// TestEveryDocumentedOperationIsServedBehindAuthentication sends each operation of
// the document without credentials: the handler has a route for it (not 404 or
// 405) and answers 401 before it runs anything.
func TestEveryDocumentedOperationIsServedBehindAuthentication(t *testing.T) {
	raw, err := httpapi.OpenAPI()
	require.NoError(t, err)
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	param := regexp.MustCompile(`\{[^}]+\}`)
	eachEnv(t, func(t *testing.T, e *env) {
		n := 0
		for path, item := range doc.Paths {
			if path == "/openapi.json" {
				continue
			}
			for method := range item {
				concrete := param.ReplaceAllString(path, "1")
				req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.srv.URL+prefix+concrete, nil)
				require.NoError(t, err)
				req.Method = map[string]string{"get": "GET", "post": "POST", "put": "PUT"}[method]
				require.NotEmpty(t, req.Method, method)
				resp, err := e.srv.Client().Do(req)
				require.NoError(t, err)
				resp.Body.Close()
				require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%s %s", req.Method, concrete)
				n++
			}
		}
		require.Greater(t, n, 25)
	})
}
