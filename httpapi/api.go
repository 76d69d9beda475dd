package httpapi

import (
	"cmp"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpapi/dashboard"
)

// DefaultMaxBodyBytes is the largest request body when Options.MaxBodyBytes is 0.
const DefaultMaxBodyBytes int64 = 1 << 20

// Principal is who calls the API, as Options.Authenticate tells it.
type Principal struct {
	// Subject is the tenant whose data the principal reads and changes; empty for
	// an operator.
	Subject string
	// Operator may name any subject (?subject=) and call the /v1/admin/ routes.
	Operator bool
	// Name is who acts, recorded as the actor of acknowledgements, corrections,
	// grants and resets. Defaults to Subject.
	Name string
}

// Options configure the handler New returns.
type Options struct {
	// Authenticate tells who sent a request to a /v1/ route. An error answers 401
	// and runs nothing. Required: New fails without it.
	Authenticate func(r *http.Request) (Principal, error)
	// Reports stores and serves the reports of the /v1/reports routes. Without it
	// those routes answer 404 problems.
	Reports *usage.Reports
	// MaxBodyBytes bounds a request body; a longer one answers 413. Defaults to
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Logger receives the errors answered with 500. Defaults to a logger that
	// discards them.
	Logger *slog.Logger
	// Now returns the current time, from which Retry-After and the rate-limit
	// fields count the seconds to a period's end: give it the Meter's clock
	// (Config.Test.Time) when that is not the wall clock. Defaults to time.Now.
	Now func() time.Time
}

// api is the state the routes share.
type api struct {
	m       *usage.Meter
	opts    Options
	metrics map[string]usage.Metric
}

// New returns the REST API of m. Its paths start at the handler's root: mount it
// under a prefix with http.StripPrefix. It fails when m is nil or
// Options.Authenticate is missing.
func New(m *usage.Meter, opts Options) (http.Handler, error) {
	if m == nil {
		return nil, errors.New("httpapi: the Meter is nil: pass the Meter the API serves")
	}
	if opts.Authenticate == nil {
		return nil, errors.New("httpapi: Options.Authenticate is nil: the API refuses to run without authentication")
	}
	opts.MaxBodyBytes = cmp.Or(opts.MaxBodyBytes, DefaultMaxBodyBytes)
	if opts.MaxBodyBytes < 0 {
		return nil, errors.New("httpapi: Options.MaxBodyBytes is negative: give a positive size in bytes, or 0 for the default")
	}
	opts.Logger = cmp.Or(opts.Logger, slog.New(slog.DiscardHandler))
	if opts.Now == nil {
		opts.Now = time.Now
	}
	doc, err := openAPIJSON()
	if err != nil {
		return nil, err
	}
	a := &api{m: m, opts: opts, metrics: map[string]usage.Metric{}}
	for _, met := range m.Metrics() {
		a.metrics[met.Key] = met
	}
	mux := http.NewServeMux()
	mux.Handle("GET /openapi.json", serveDocument(doc))
	for _, rt := range routeTable() {
		mux.Handle(rt.pattern(), a.serve(rt))
	}
	mountDashboard(mux)
	return mux, nil
}

// mountDashboard mounts the dashboard page and its assets (GET /dashboard/ and
// GET /dashboard/{file}), static files served without authentication: the page
// signs in with the key its user types and calls the API relative to itself. They
// are not API routes: the OpenAPI document and its parity test leave them out.
func mountDashboard(mux *http.ServeMux) {
	mux.Handle("GET /dashboard/", http.StripPrefix("/dashboard", dashboard.Handler()))
}

// call is one authenticated request.
type call struct {
	principal Principal
	// subject is whose data the request concerns: the tenant's own, or the one an
	// operator names; empty on operator routes that name none.
	subject string
}

// serve authenticates a request, resolves its subject and runs the route.
func (a *api) serve(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.opts.Authenticate(r)
		if err != nil {
			writeProblem(w, r, problemUnauthenticated(err))
			return
		}
		p.Name = cmp.Or(p.Name, p.Subject)
		if !p.Operator && p.Subject == "" {
			writeProblem(w, r, problemUnauthenticated(errors.New("the credentials name no subject")))
			return
		}
		c := &call{principal: p}
		switch {
		case rt.operator && !p.Operator:
			writeProblem(w, r, &problem{Type: ProblemForbidden, Status: http.StatusForbidden,
				Detail: "this route is for operators"})
			return
		case rt.operator:
		case p.Operator:
			c.subject = r.URL.Query().Get("subject")
			if c.subject == "" && !rt.subjectOptional {
				writeProblem(w, r, badRequest("subject", "an operator names the subject with ?subject="))
				return
			}
		default:
			if r.URL.Query().Has("subject") {
				writeProblem(w, r, badRequest("subject", "a tenant's subject comes from its credentials: leave ?subject= out"))
				return
			}
			c.subject = p.Subject
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, a.opts.MaxBodyBytes)
		}
		if err := rt.handle(a, w, r, c); err != nil {
			a.fail(w, r, err)
		}
	})
}

// fail answers err as a problem, logging what becomes a 500.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err, a.opts.Now())
	if p.Status == http.StatusInternalServerError {
		a.opts.Logger.LogAttrs(r.Context(), slog.LevelError, "httpapi: request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", err))
	}
	writeProblem(w, r, p)
}
