package httpmw_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/httpmw"
	"github.com/usagekit/usage/internal/testdb"
)

// clientPatience bounds how long a test's client waits for the server, so that a
// response never sent fails the test instead of hanging it.
const clientPatience = 10 * time.Second

func TestServerSentEventsFlushThroughTheMiddleware(t *testing.T) {
	t.Parallel()
	m := newMeter(t, testdb.SQLite())
	mw := newMiddleware(t, m)
	// The handler runs on the server's goroutine, where the test cannot fail: it
	// reports each flush's result, and writes an event only once the client has
	// read the one before.
	flushed := make(chan error, 3)
	read := make(chan struct{}, 3)
	srv := httptest.NewServer(serveMux(mw, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		rc := http.NewResponseController(w)
		for i := range 3 {
			fmt.Fprintf(w, "data: %d\n\n", i)
			err := rc.Flush()
			flushed <- err
			if err != nil {
				return
			}
			select {
			case <-read:
			case <-r.Context().Done():
				return
			}
		}
	})))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), clientPatience)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/search", nil)
	req.Header.Set("X-Tenant", "acme")
	res, err := srv.Client().Do(req)
	require.NoError(t, err, "no response: the first event was not flushed")
	defer res.Body.Close()
	rd := bufio.NewReader(res.Body)
	for i := range 3 {
		line, err := rd.ReadString('\n')
		require.NoError(t, err, "event %d was not flushed", i)
		require.Equal(t, fmt.Sprintf("data: %d\n", i), line)
		_, _ = rd.ReadString('\n')
		require.NoError(t, <-flushed, "flush of event %d", i)
		read <- struct{}{}
	}
	flush(t, mw)
	require.Equal(t, 1.0, used(t, m, "acme", calls))
}

func TestTheWrapperIsAFlusherForHandlersThatAssertIt(t *testing.T) {
	t.Parallel()
	mw := newMiddleware(t, newMeter(t, testdb.SQLite()))
	rec := httptest.NewRecorder()
	h := serveMux(mw, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := w.(http.Flusher)
		require.True(t, ok)
		_, _ = w.Write([]byte("x"))
		f.Flush()
	}))
	r := httptest.NewRequest("GET", "/search", nil)
	r.Header.Set("X-Tenant", "acme")
	h.ServeHTTP(rec, r)
	require.True(t, rec.Flushed)
}

// cannotFlush is a ResponseWriter without Flush, as some wrappers are: embedding
// the interface promotes its methods only.
type cannotFlush struct{ http.ResponseWriter }

// flushFails is a ResponseWriter whose flush fails, as one to a lost connection does.
type flushFails struct {
	http.ResponseWriter
	err error
}

func (w flushFails) FlushError() error { return w.err }

func TestResponseControllerFlushReturnsTheErrorOfTheWriterUnderneath(t *testing.T) {
	t.Parallel()
	mw := newMiddleware(t, newMeter(t, testdb.SQLite()))
	var flushErr error
	h := serveMux(mw, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("x"))
		flushErr = http.NewResponseController(w).Flush()
	}))
	flushThrough := func(w http.ResponseWriter) error {
		flushErr = errors.New("the handler did not run")
		r := httptest.NewRequest("GET", "/search", nil)
		r.Header.Set("X-Tenant", "acme")
		h.ServeHTTP(w, r)
		return flushErr
	}
	rec := httptest.NewRecorder()
	require.NoError(t, flushThrough(rec))
	require.True(t, rec.Flushed)
	require.ErrorIs(t, flushThrough(cannotFlush{httptest.NewRecorder()}), http.ErrNotSupported)
	lost := errors.New("connection lost")
	require.ErrorIs(t, flushThrough(flushFails{httptest.NewRecorder(), lost}), lost)
}

// A flush that sent nothing leaves the handler free to answer another status,
// which the client gets and the charge policy reads.
func TestAFlushThatCannotFlushLeavesTheStatusToTheHandler(t *testing.T) {
	t.Parallel()
	m := newMeter(t, testdb.SQLite())
	mw := newMiddleware(t, m)
	h := serveMux(mw, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).Flush()
		w.WriteHeader(http.StatusInternalServerError)
	}))
	rec := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/search", nil)
	r.Header.Set("X-Tenant", "acme")
	h.ServeHTTP(cannotFlush{rec}, r)
	require.Equal(t, http.StatusInternalServerError, rec.Code)
	flush(t, mw)
	require.Zero(t, used(t, m, "acme", calls), "a 500 is not charged")
	require.Equal(t, int64(1), mw.Stats().NotCharged)
}

func TestResponseControllerReachesTheServersWriterForDeadlinesAndFullDuplex(t *testing.T) {
	t.Parallel()
	mw := newMiddleware(t, newMeter(t, testdb.SQLite()))
	errs := make(chan error, 2)
	srv := httptest.NewServer(serveMux(mw, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		errs <- rc.SetWriteDeadline(time.Now().Add(time.Minute))
		errs <- rc.EnableFullDuplex()
	})))
	defer srv.Close()
	res := searchThrough(t, srv)
	// The response is sent once the handler returned, so both results are waiting.
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.NoError(t, <-errs, "SetWriteDeadline")
	require.NoError(t, <-errs, "EnableFullDuplex")
}

func TestAHijackedConnectionStillWorks(t *testing.T) {
	t.Parallel()
	m := newMeter(t, testdb.SQLite())
	mw := newMiddleware(t, m)
	// The handler reports the hijack's result for the test goroutine to check.
	hijacked := make(chan error, 1)
	srv := httptest.NewServer(serveMux(mw, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := http.NewResponseController(w).Hijack()
		hijacked <- err
		if err != nil {
			return
		}
		defer conn.Close()
		// The server no longer watches a hijacked connection: bound the exchange.
		_ = conn.SetDeadline(time.Now().Add(clientPatience))
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
		_ = brw.Flush()
		line, _ := brw.ReadString('\n')
		_, _ = brw.WriteString("echo " + line)
		_ = brw.Flush()
	})))
	defer srv.Close()
	conn, err := net.DialTimeout("tcp", srv.Listener.Addr().String(), clientPatience)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(clientPatience)))
	fmt.Fprintf(conn, "GET /search HTTP/1.1\r\nHost: x\r\nX-Tenant: acme\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
	rd := bufio.NewReader(conn)
	res, err := http.ReadResponse(rd, nil)
	require.NoError(t, err)
	// A handler that ran reported before anything was written to the client; one
	// refused by the middleware did not, and the status tells why.
	select {
	case err := <-hijacked:
		require.NoError(t, err, "Hijack")
	default:
	}
	require.Equal(t, http.StatusSwitchingProtocols, res.StatusCode)
	fmt.Fprintf(conn, "hello\n")
	line, err := rd.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "echo hello\n", line)
	srv.Close()
	flush(t, mw)
	require.Equal(t, 1.0, used(t, m, "acme", calls), "an upgraded request is charged")
}

func TestASecondWriteHeaderIsNotForwarded(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	m := newMeter(t, testdb.SQLite())
	mw := newMiddleware(t, m)
	srv := httptest.NewUnstartedServer(serveMux(mw, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusEarlyHints)
		w.WriteHeader(http.StatusAccepted)
		w.WriteHeader(http.StatusInternalServerError)
	})))
	srv.Config.ErrorLog = log.New(&logs, "", 0)
	srv.Start()
	defer srv.Close()
	res := searchThrough(t, srv)
	require.Equal(t, http.StatusAccepted, res.StatusCode)
	srv.Close()
	require.NotContains(t, logs.String(), "superfluous")
	flush(t, mw)
	require.Equal(t, 1.0, used(t, m, "acme", calls), "charged as the 202 the client got")
}

func TestATimeoutHandlersAnswerIsNotCharged(t *testing.T) {
	t.Parallel()
	m := newMeter(t, testdb.SQLite())
	mw := newMiddleware(t, m)
	release := make(chan struct{})
	defer close(release)
	slow := http.TimeoutHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}), 10*time.Millisecond, "too slow")
	mux := http.NewServeMux()
	mux.Handle("GET /search", mw.Handler(slow))
	mux.Handle("POST /documents", mw.Handler(http.TimeoutHandler(ok200, time.Minute, "too slow")))
	res := do(mux, "GET", "/search", "acme")
	require.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	body, _ := io.ReadAll(res.Body)
	require.Equal(t, "too slow", string(body))
	require.Equal(t, http.StatusOK, do(mux, "POST", "/documents", "acme").StatusCode)
	flush(t, mw)
	require.Zero(t, used(t, m, "acme", calls))
	require.Equal(t, 1.0, used(t, m, "acme", docs))
}

func TestAMiddlewareAroundAWholeServeMuxFindsThePatternWithWithServeMux(t *testing.T) {
	t.Parallel()
	m := newMeter(t, testdb.SQLite())
	mux := http.NewServeMux()
	for pattern := range routes() {
		mux.Handle(pattern, ok200)
	}
	mw := newMiddleware(t, m, httpmw.WithServeMux(mux))
	h := mw.Handler(mux)
	do(h, "GET", "/pages/42", "acme")
	do(h, "GET", "/pages/43", "acme")
	require.Equal(t, http.StatusNotFound, do(h, "GET", "/nowhere", "acme").StatusCode)
	flush(t, mw)
	require.Equal(t, 2.0, used(t, m, "acme", pages))
}

// routeKey holds the matched pattern in the request context, as chi does, so the
// test needs no router dependency.
type routeKey struct{}

func TestARouteFuncReadsAnotherRoutersPattern(t *testing.T) {
	t.Parallel()
	m := newMeter(t, testdb.SQLite())
	mw := newMiddleware(t, m, httpmw.WithRouteFunc(func(r *http.Request) string {
		p, _ := r.Context().Value(routeKey{}).(string)
		return p
	}))
	inner := mw.Handler(ok200)
	router := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/pages/") {
			r = r.WithContext(context.WithValue(r.Context(), routeKey{}, "GET /pages/{id}"))
		}
		inner.ServeHTTP(w, r)
	})
	do(router, "GET", "/pages/1", "acme")
	flush(t, mw)
	require.Equal(t, 1.0, used(t, m, "acme", pages))
}

// searchThrough sends GET /search as tenant acme to srv, a running server, and
// returns its response, whose body it has closed.
func searchThrough(t *testing.T, srv *httptest.Server) *http.Response {
	t.Helper()
	req, err := http.NewRequest("GET", srv.URL+"/search", nil)
	require.NoError(t, err)
	req.Header.Set("X-Tenant", "acme")
	res, err := srv.Client().Do(req)
	require.NoError(t, err)
	res.Body.Close()
	return res
}
