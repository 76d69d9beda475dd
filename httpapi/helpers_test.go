package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpapi"
	"github.com/usagekit/usage/internal/testdb"
)

// prefix is where the tests mount the API, as a host would.
const prefix = "/usage"

// The tokens of the test principals. acme, acme2 and Acme are three tenants whose
// names are prefixes of each other or differ only by case.
const (
	tokAcme  = "tok-acme"
	tokAcme2 = "tok-acme2"
	tokAcmeC = "tok-Acme"
	tokOp    = "tok-op"
)

var principals = map[string]httpapi.Principal{
	tokAcme:  {Subject: "acme"},
	tokAcme2: {Subject: "acme2"},
	tokAcmeC: {Subject: "Acme"},
	tokOp:    {Operator: true, Name: "ops@example.com"},
}

// authenticate reads a bearer token.
func authenticate(r *http.Request) (httpapi.Principal, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return httpapi.Principal{}, errors.New("no bearer token")
	}
	p, ok := principals[tok]
	if !ok {
		return httpapi.Principal{}, errors.New("unknown token")
	}
	return p, nil
}

// start is the test clock's time: the middle of March 2026.
var start = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

// clock is a settable time.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// env is the API over a Meter on a fresh database, served under prefix, with a
// client whose every request and response is checked against the OpenAPI document.
type env struct {
	t     *testing.T
	meter *usage.Meter
	clock *clock
	srv   *httptest.Server
	doc   validator.Validator
}

// testConfig is the example catalog, api_calls with a route dimension, and a
// "strict" plan of 10 credits without overage.
func testConfig(c *clock) *usage.Config {
	metrics := usage.ExampleMetrics()
	for i := range metrics {
		if metrics[i].Key == usage.MetricAPICalls {
			metrics[i].Dimensions = []string{"route"}
		}
	}
	return &usage.Config{
		Metrics: append(metrics, usage.Metric{Key: "credits", Unit: "credits"}),
		Plans: append(usage.ExamplePlans(), usage.Plan{Key: "strict", Name: "Strict",
			Limits: map[string]usage.Limit{"credits": {Included: 10}}}),
		DefaultPlan: "strict",
		Test:        usage.TestConfig{Time: c.Now},
	}
}

// newAPI opens a Meter on a fresh database of db, with its clock and report store,
// and the API over it.
func newAPI(tb testing.TB, db testdb.Backend) (*usage.Meter, *clock, http.Handler) {
	tb.Helper()
	st, _ := db.OpenNew(tb)
	c := &clock{now: start}
	m, err := usage.New(st, testConfig(c))
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, m.Close(context.Background())) })
	reps, err := usage.NewReports(m, usage.ReportsConfig{Dir: tb.TempDir()})
	require.NoError(tb, err)
	h, err := httpapi.New(m, httpapi.Options{Authenticate: authenticate, Reports: reps, Now: c.Now})
	require.NoError(tb, err)
	mux := http.NewServeMux()
	mux.Handle(prefix+"/", http.StripPrefix(prefix, h))
	return m, c, mux
}

// newEnv opens the API on a fresh database of db, served over loopback.
func newEnv(t *testing.T, db testdb.Backend) *env {
	t.Helper()
	m, c, h := newAPI(t, db)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, meter: m, clock: c, srv: srv, doc: documentValidator(t)}
}

// documentValidator parses the API's OpenAPI document.
func documentValidator(t testing.TB) validator.Validator {
	t.Helper()
	raw, err := httpapi.OpenAPI()
	require.NoError(t, err)
	doc, err := libopenapi.NewDocument(raw)
	require.NoError(t, err)
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
	require.Empty(t, errs)
	return v
}

// reply is a response, read whole.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// decode reads the body as JSON into v.
func (r reply) decode(t testing.TB, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.body, v), "body: %s", r.body)
}

// problem reads a problem body and checks its status and type.
func (r reply) problem(t testing.TB, status int, typ string) map[string]any {
	t.Helper()
	require.Equal(t, status, r.status, "body: %s", r.body)
	require.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
	var p map[string]any
	r.decode(t, &p)
	require.Equal(t, typ, p["type"], "body: %s", r.body)
	require.EqualValues(t, status, p["status"])
	return p
}

// request describes one call of the API.
type request struct {
	method, path, token string
	body                any
	header              map[string]string
	// invalid marks a request that breaks the document on purpose (a missing
	// token, a field the schema refuses): the validator must find it invalid, and
	// the response is still checked.
	invalid bool
}

// do sends a request to the API under prefix and checks it, and its response,
// against the OpenAPI document: any violation fails the test.
func (e *env) do(req request) reply {
	e.t.Helper()
	var body io.Reader
	var raw []byte
	switch b := req.body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		raw, err = json.Marshal(b)
		require.NoError(e.t, err)
	}
	if raw != nil {
		body = bytes.NewReader(raw)
	}
	hr, err := http.NewRequestWithContext(e.t.Context(), req.method, e.srv.URL+prefix+req.path, body)
	require.NoError(e.t, err)
	if raw != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if req.token != "" {
		hr.Header.Set("Authorization", "Bearer "+req.token)
	}
	for k, v := range req.header {
		hr.Header.Set(k, v)
	}
	resp, err := e.srv.Client().Do(hr)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)

	// The document's paths start at the handler's root: validate the request as the
	// handler sees it, without the mount prefix.
	vr := documentRequest(e.t, hr, req.path, raw)
	ok, verrs := e.doc.ValidateHttpRequest(vr)
	if req.invalid {
		require.False(e.t, ok, "%s %s: the document accepts a request meant to break it", req.method, req.path)
	} else {
		require.True(e.t, ok, "%s %s: request breaks the document: %s", req.method, req.path, violations(verrs))
	}
	resp.Body = io.NopCloser(bytes.NewReader(got))
	vr = documentRequest(e.t, hr, req.path, raw)
	ok, verrs = e.doc.ValidateHttpResponse(vr, resp)
	require.True(e.t, ok, "%s %s → %d: response breaks the document: %s\nbody: %s", req.method, req.path, resp.StatusCode, violations(verrs), got)
	return reply{status: resp.StatusCode, header: resp.Header, body: got}
}

// documentRequest copies hr with the path the handler sees.
func documentRequest(t testing.TB, hr *http.Request, path string, body []byte) *http.Request {
	t.Helper()
	vr := hr.Clone(t.Context())
	u := *hr.URL
	p, q, _ := strings.Cut(path, "?")
	u.Path, u.RawPath, u.RawQuery = p, "", q
	vr.URL = &u
	vr.RequestURI = ""
	if body != nil {
		vr.Body = io.NopCloser(bytes.NewReader(body))
	}
	return vr
}

func violations(errs any) string {
	b, _ := json.MarshalIndent(errs, "", "  ")
	return string(b)
}

func (e *env) get(token, path string) reply {
	e.t.Helper()
	return e.do(request{method: "GET", path: path, token: token})
}

func (e *env) post(token, path string, body any) reply {
	e.t.Helper()
	return e.do(request{method: "POST", path: path, token: token, body: body})
}

func (e *env) put(token, path string, body any) reply {
	e.t.Helper()
	return e.do(request{method: "PUT", path: path, token: token, body: body})
}

// track records events for subject directly through the Meter.
func (e *env) track(subject string, events ...usage.Event) {
	e.t.Helper()
	for i := range events {
		events[i].Subject = subject
	}
	res, err := e.meter.TrackBatch(e.t.Context(), events)
	require.NoError(e.t, err)
	for _, r := range res {
		require.NoError(e.t, r.Err)
	}
}

// eachEnv runs test on a fresh API over each store.
func eachEnv(t *testing.T, test func(t *testing.T, e *env)) {
	testdb.Each(t, func(t *testing.T, db testdb.Backend) { test(t, newEnv(t, db)) })
}

// with returns the env reporting to t, for subtests.
func (e *env) with(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}
