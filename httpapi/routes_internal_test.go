package httpapi

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// documentOperations lists the operations of the OpenAPI document as "METHOD path".
func documentOperations(t *testing.T) []string {
	t.Helper()
	raw, err := openAPIJSON()
	require.NoError(t, err)
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	var ops []string
	for path, item := range doc.Paths {
		for method := range item {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options", "trace":
				ops = append(ops, strings.ToUpper(method)+" "+path)
			}
		}
	}
	slices.Sort(ops)
	return ops
}

func TestEveryRouteIsInTheDocumentAndEveryOperationIsARoute(t *testing.T) {
	handler := []string{"GET /openapi.json"}
	for _, rt := range routeTable() {
		handler = append(handler, rt.pattern())
	}
	slices.Sort(handler)
	doc := documentOperations(t)
	for _, op := range handler {
		require.Contains(t, doc, op, "the handler serves %s: describe it in openapi.yaml", op)
	}
	for _, op := range doc {
		require.Contains(t, handler, op, "openapi.yaml describes %s: the handler does not serve it", op)
	}
	for _, op := range doc {
		require.False(t, strings.Contains(op, " /dashboard"), "the dashboard's static files are not API operations")
	}
}

func TestOperatorRoutesAreExactlyThoseUnderAdmin(t *testing.T) {
	for _, rt := range routeTable() {
		require.Equal(t, strings.HasPrefix(rt.path, "/v1/admin/"), rt.operator, rt.pattern())
	}
}
