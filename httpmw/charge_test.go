package httpmw_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpmw"
	"github.com/usagekit/usage/internal/testdb"
)

// statusHandler answers the status in the request's "status" query parameter.
var statusHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	code, _ := strconv.Atoi(r.URL.Query().Get("status"))
	w.WriteHeader(code)
})

func TestMeteredCountEqualsServedRequestsMinusTheChargePolicysExclusions(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		t.Parallel()
		m := newMeter(t, db)
		mw := newMiddleware(t, m)
		h := serveMux(mw, statusHandler)
		statuses := []int{200, 201, 204, 302, 400, 404, 401, 403, 429, 500, 502, 503}
		const charged = 6 // the first six
		for _, path := range []string{"/documents", "/search", "/pages/7"} {
			method := "GET"
			if path == "/documents" {
				method = "POST"
			}
			for _, code := range statuses {
				res := do(h, method, path+"?status="+strconv.Itoa(code), "acme")
				require.Equal(t, code, res.StatusCode)
			}
		}
		flush(t, mw)
		for _, metric := range []string{docs, calls, pages} {
			require.Equal(t, float64(charged), used(t, m, "acme", metric), metric)
		}
		s := mw.Stats()
		require.Equal(t, int64(3*charged), s.Charged)
		require.Equal(t, int64(3*(len(statuses)-charged)), s.NotCharged)
	})
}

func TestTheChargePolicyIsConfigurable(t *testing.T) {
	t.Parallel()
	m := newMeter(t, testdb.SQLite())
	mw := newMiddleware(t, m, httpmw.WithCharge(func(status int) bool { return status < 400 }))
	h := serveMux(mw, statusHandler)
	for _, code := range []int{200, 404, 422, 500} {
		do(h, "GET", "/search?status="+strconv.Itoa(code), "acme")
	}
	flush(t, mw)
	require.Equal(t, 1.0, used(t, m, "acme", calls))
}

func TestARetriedRequestIsChargedOnce(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		t.Parallel()
		m := newMeter(t, db)
		mw := newMiddleware(t, m)
		h := serveMux(mw, ok200)
		for range 3 {
			require.Equal(t, http.StatusOK, do(h, "POST", "/documents", "acme", "Idempotency-Key", "doc-1").StatusCode)
			require.Equal(t, http.StatusOK, do(h, "GET", "/search", "acme", "Idempotency-Key", "search-1").StatusCode)
		}
		// The same ID under another subject is another request.
		require.Equal(t, http.StatusOK, do(h, "POST", "/documents", "globex", "Idempotency-Key", "doc-1").StatusCode)
		flush(t, mw)
		require.Equal(t, 1.0, used(t, m, "acme", docs))
		require.Equal(t, 1.0, used(t, m, "acme", calls))
		require.Equal(t, 1.0, used(t, m, "globex", docs))
		require.Equal(t, int64(4), mw.Stats().Duplicates)
	})
}

func TestTheRequestIDHeaderIsConfigurable(t *testing.T) {
	t.Parallel()
	m := newMeter(t, testdb.SQLite())
	mw := newMiddleware(t, m, httpmw.WithRequestIDHeader("X-Request-ID"))
	h := serveMux(mw, ok200)
	do(h, "POST", "/documents", "acme", "X-Request-ID", "r-1")
	do(h, "POST", "/documents", "acme", "X-Request-ID", "r-1")
	do(h, "POST", "/documents", "acme", "Idempotency-Key", "r-1")
	flush(t, mw)
	require.Equal(t, 2.0, used(t, m, "acme", docs))
	page, err := m.Events(context.Background(), usage.EventQuery{Subject: "acme"})
	require.NoError(t, err)
	require.Equal(t, "r-1", page.Events[0].ID)
}

func TestAHandlerChangesTheCostThroughTheContext(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		t.Parallel()
		m := newMeter(t, db)
		mw := newMiddleware(t, m)
		h := serveMux(mw, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			require.True(t, httpmw.SetCost(r.Context(), 12))
			// An exact charge was stored with its properties before the handler ran.
			require.Equal(t, r.Pattern != "POST /documents", httpmw.SetProperty(r.Context(), "format", "pdf"))
		}))
		do(h, "POST", "/documents", "acme")
		do(h, "GET", "/search", "acme")
		flush(t, mw)
		require.Equal(t, 12.0, used(t, m, "acme", docs), "an exact charge is amended")
		require.Equal(t, 12.0, used(t, m, "acme", calls))
		page, err := m.Events(context.Background(), usage.EventQuery{Subject: "acme", Metric: calls})
		require.NoError(t, err)
		p := page.Events[0].Properties
		require.Equal(t, "pdf", p["format"])
		require.Equal(t, "GET /search", p["route"])
		require.Equal(t, "GET", p["method"])
		require.Equal(t, "200", p["status"])
		require.Equal(t, "0", p["bytes"])
		_, err = strconv.ParseFloat(p["latency_ms"], 64)
		require.NoError(t, err)
		require.False(t, httpmw.SetCost(context.Background(), 1), "outside a metered request")
	})
}

func TestAHandlerThatPanicsPropagatesThePanicAndIsNotCharged(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		t.Parallel()
		m := newMeter(t, db)
		mw := newMiddleware(t, m)
		h := serveMux(mw, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("partial"))
			panic(http.ErrAbortHandler)
		}))
		for _, req := range [][2]string{{"POST", "/documents"}, {"GET", "/search"}} {
			func() {
				defer func() { require.Equal(t, http.ErrAbortHandler, recover()) }()
				do(h, req[0], req[1], "acme")
			}()
		}
		flush(t, mw)
		require.Zero(t, used(t, m, "acme", docs))
		require.Zero(t, used(t, m, "acme", calls))
		require.Equal(t, int64(2), mw.Stats().NotCharged)
	})
}

func TestRequestsWithoutSubjectOrMetricAreServedUnmetered(t *testing.T) {
	t.Parallel()
	m := newMeter(t, testdb.SQLite())
	mw := newMiddleware(t, m)
	h := serveMux(mw, ok200)
	res := do(h, "GET", "/search", "")
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Empty(t, res.Header.Get("RateLimit"))
	unmetered := mw.Handler(ok200)
	require.Equal(t, http.StatusOK, do(unmetered, "GET", "/other", "acme").StatusCode)
	flush(t, mw)
	require.Equal(t, httpmw.Stats{}, mw.Stats())

	strict := serveMux(newMiddleware(t, m, httpmw.RefuseAnonymous()), ok200)
	res = do(strict, "GET", "/search", "")
	require.Equal(t, http.StatusUnauthorized, res.StatusCode)
	require.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
}
