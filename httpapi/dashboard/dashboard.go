// Package dashboard serves the usage dashboard: one HTML page, its script and its
// style sheet, embedded in the binary. The page signs in with an API key, calls the
// REST API of package httpapi relative to its own address (../v1/…) and draws its
// charts as SVG with its own script: no build step, no CDN, no chart library.
//
// httpapi.New mounts it at /dashboard/; a host that wants the page elsewhere mounts
// Handler under a prefix of its own with http.StripPrefix, as long as the API answers
// at ../v1/ from there.
package dashboard

import (
	"bytes"
	"embed"
	"net/http"
	"path"
	"time"
)

//go:embed static
var static embed.FS

// ContentSecurityPolicy is the Content-Security-Policy of every response: scripts,
// styles and API calls only from the page's own origin, no inline script, no
// framing. Blob URLs are allowed as images for the downloads the page saves.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// contentType is the type of a file the package serves, by its extension; false for
// a kind of file it does not serve.
func contentType(name string) (string, bool) {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8", true
	case ".js":
		return "text/javascript; charset=utf-8", true
	case ".css":
		return "text/css; charset=utf-8", true
	}
	return "", false
}

// Handler returns the dashboard's handler: index.html at "/" (and "/index.html"),
// the page's script modules (app.js and those it imports) and app.css by name; any
// other path answers 404, and methods other than GET and HEAD answer 405. Every response carries ContentSecurityPolicy,
// X-Content-Type-Options: nosniff and Referrer-Policy: no-referrer; files are
// revalidated on every load (Cache-Control: no-cache) with an ETag of their content.
// It is safe for concurrent use.
func Handler() http.Handler {
	return http.HandlerFunc(serve)
}

func serve(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", ContentSecurityPolicy)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := r.URL.Path
	if name == "" || name == "/" {
		name = "/index.html"
	}
	typ, known := contentType(name)
	// Only files at the top of the folder are served: the page has no others, and
	// a path with more slashes is never one of them.
	if !known || path.Dir(name) != "/" {
		http.NotFound(w, r)
		return
	}
	content, err := static.ReadFile("static" + name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	hdr.Set("Content-Type", typ)
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("ETag", etag(content))
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(content))
}
