package dashboard_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/httpapi/dashboard"
)

func get(t *testing.T, h http.Handler, method, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return string(b)
}

func TestTheFilesAreServedWithTheirTypesAndAStrictPolicy(t *testing.T) {
	t.Parallel()
	h := dashboard.Handler()
	for path, typ := range map[string]string{
		"/":           "text/html; charset=utf-8",
		"/index.html": "text/html; charset=utf-8",
		"/app.js":     "text/javascript; charset=utf-8",
		"/app.css":    "text/css; charset=utf-8",
	} {
		res := get(t, h, http.MethodGet, path)
		require.Equal(t, http.StatusOK, res.StatusCode, path)
		require.Equal(t, typ, res.Header.Get("Content-Type"), path)
		require.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"), path)
		csp := res.Header.Get("Content-Security-Policy")
		require.Contains(t, csp, "default-src 'self'", path)
		require.Contains(t, csp, "script-src 'self';", path)
		require.NotContains(t, csp, "unsafe-inline", path)
		require.NotContains(t, csp, "unsafe-eval", path)
		require.NotEmpty(t, body(t, res), path)
	}
}

func TestTheIndexIsTheSamePageAtTheRootAndByName(t *testing.T) {
	t.Parallel()
	h := dashboard.Handler()
	root := body(t, get(t, h, http.MethodGet, "/"))
	require.Equal(t, root, body(t, get(t, h, http.MethodGet, "/index.html")))
	require.Contains(t, root, `<script type="module" src="app.js"></script>`)
	require.Contains(t, root, `<link rel="stylesheet" href="app.css">`)
}

func TestUnknownFilesAndPathsAnswerNotFound(t *testing.T) {
	t.Parallel()
	h := dashboard.Handler()
	for _, path := range []string{"/nope.js", "/app.js.map", "/static/app.js", "/../dashboard.go",
		"/dashboard.go", "/app", "/sub/app.js", "/favicon.ico"} {
		res := get(t, h, http.MethodGet, path)
		require.Equal(t, http.StatusNotFound, res.StatusCode, path)
		require.NotEmpty(t, res.Header.Get("Content-Security-Policy"), path)
	}
}

func TestOnlyGetAndHeadAreAllowed(t *testing.T) {
	t.Parallel()
	h := dashboard.Handler()
	res := get(t, h, http.MethodHead, "/app.css")
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Empty(t, body(t, res))
	res = get(t, h, http.MethodPost, "/")
	require.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)
	require.Equal(t, "GET, HEAD", res.Header.Get("Allow"))
}

func TestAnUnchangedFileIsNotSentAgain(t *testing.T) {
	t.Parallel()
	h := dashboard.Handler()
	res := get(t, h, http.MethodGet, "/app.js")
	tag := res.Header.Get("ETag")
	require.NotEmpty(t, tag)
	require.Equal(t, "no-cache", res.Header.Get("Cache-Control"))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/app.js", nil)
	req.Header.Set("If-None-Match", tag)
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusNotModified, rec.Code)
}

// The page's script is a tree of modules from app.js: each one is served, as
// JavaScript, and none imports anything from elsewhere.
func TestEveryModuleTheScriptImportsIsServed(t *testing.T) {
	t.Parallel()
	h := dashboard.Handler()
	imports := regexp.MustCompile(`(?m)^import [^;]* from '([^']+)';`)
	seen := map[string]bool{}
	queue := []string{"./app.js"}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		require.Regexp(t, `^\./[a-z]+\.js$`, name, "a module of the page's own folder")
		res := get(t, h, http.MethodGet, "/"+strings.TrimPrefix(name, "./"))
		require.Equal(t, http.StatusOK, res.StatusCode, name)
		require.Equal(t, "text/javascript; charset=utf-8", res.Header.Get("Content-Type"), name)
		for _, m := range imports.FindAllStringSubmatch(body(t, res), -1) {
			queue = append(queue, m[1])
		}
	}
	require.Greater(t, len(seen), 1, "app.js imports its modules")
}

// The policy forbids inline script, so the page must have none: a script element
// with content, an event handler attribute or a javascript: URL would not run.
func TestTheIndexHasNoInlineScriptOrStyle(t *testing.T) {
	t.Parallel()
	page := body(t, get(t, dashboard.Handler(), http.MethodGet, "/"))
	scripts := regexp.MustCompile(`(?is)<script\b[^>]*>(.*?)</script>`).FindAllStringSubmatch(page, -1)
	require.NotEmpty(t, scripts)
	for _, s := range scripts {
		require.Empty(t, strings.TrimSpace(s[1]), "inline script: %s", s[0])
		require.Regexp(t, `\bsrc="[^"]+"`, s[0])
	}
	require.NotRegexp(t, `(?i)\son[a-z]+\s*=`, page, "event handler attribute")
	require.NotContains(t, strings.ToLower(page), "javascript:")
	require.NotRegexp(t, `(?i)<style\b`, page, "inline style element")
	require.NotRegexp(t, `(?i)\sstyle\s*=`, page, "inline style attribute")
}

// Every form control of the page has a label, so a screen reader names it.
func TestEveryControlOfTheIndexHasALabel(t *testing.T) {
	t.Parallel()
	page := body(t, get(t, dashboard.Handler(), http.MethodGet, "/"))
	controls := regexp.MustCompile(`<(?:input|select|textarea)\b[^>]*\bid="([^"]+)"`).FindAllStringSubmatch(page, -1)
	require.NotEmpty(t, controls)
	for _, c := range controls {
		require.Contains(t, page, `<label for="`+c[1]+`">`, c[1])
	}
	require.Equal(t, len(regexp.MustCompile(`<(?:input|select|textarea)\b`).FindAllString(page, -1)), len(controls),
		"a control without an id cannot be labelled")
}
