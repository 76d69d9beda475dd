package httpapi

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"

	"go.yaml.in/yaml/v3"
)

// openAPIYAML is the API's OpenAPI 3.1 document, written by hand: the contract the
// tests hold every request and response to.
//
//go:embed openapi.yaml
var openAPIYAML []byte

// OpenAPI returns the API's OpenAPI 3.1 document as JSON, as GET /openapi.json
// serves it.
func OpenAPI() ([]byte, error) { return openAPIJSON() }

// openAPIJSON converts the embedded YAML document to JSON.
func openAPIJSON() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(openAPIYAML, &doc); err != nil {
		return nil, fmt.Errorf("httpapi: the embedded OpenAPI document: %w", err)
	}
	out, err := json.Marshal(stringKeys(doc))
	if err != nil {
		return nil, fmt.Errorf("httpapi: the embedded OpenAPI document as JSON: %w", err)
	}
	return out, nil
}

// serveDocument serves the OpenAPI document, without authentication.
func serveDocument(doc []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = writeRaw(w, r, "application/json", doc)
	})
}

// stringKeys turns the maps YAML decodes with non-string keys (response codes
// written unquoted) into maps JSON can hold.
func stringKeys(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = stringKeys(e)
		}
		return v
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[fmt.Sprint(k)] = stringKeys(e)
		}
		return out
	case []any:
		for i, e := range v {
			v[i] = stringKeys(e)
		}
	}
	return v
}
