package httpmw

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
)

// responseWriter records the status and the bytes of a response on their way to the
// ResponseWriter it wraps.
type responseWriter struct {
	http.ResponseWriter
	status   int
	bytes    int64
	hijacked bool
	// timedOut is set when a write returned http.ErrHandlerTimeout: an
	// http.TimeoutHandler around the middleware answered 503 instead.
	timedOut bool
}

// WriteHeader forwards the first final status only: a second call would make
// net/http log "superfluous WriteHeader". Informational (1xx) statuses pass through.
func (w *responseWriter) WriteHeader(code int) {
	if w.status != 0 || w.hijacked {
		return
	}
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	if err == http.ErrHandlerTimeout {
		w.timedOut = true
	}
	return n, err
}

// Flush sends what is buffered to the client, for streaming handlers that assert
// http.Flusher; it does nothing when the wrapped writer cannot flush.
func (w *responseWriter) Flush() { _ = w.FlushError() }

// FlushError is Flush with the wrapped writer's error, which
// http.ResponseController.Flush returns to the handler: ErrNotSupported when the
// writer cannot flush, or the connection's error. Without it the controller would
// call Flush and report success whatever happened.
func (w *responseWriter) FlushError() error {
	err := http.NewResponseController(w.ResponseWriter).Flush()
	// A flush sends the header, 200 unless one was written; a writer that cannot
	// flush sent nothing, and the handler may still write another status.
	if w.status == 0 && !errors.Is(err, http.ErrNotSupported) {
		w.status = http.StatusOK
	}
	return err
}

// Hijack hands the connection to the handler, for protocol upgrades. The response
// counts as 101 Switching Protocols unless a status was written.
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.hijacked = true
		if w.status == 0 {
			w.status = http.StatusSwitchingProtocols
		}
	}
	return c, rw, err
}

// Unwrap lets http.ResponseController reach the wrapped writer's other features
// (deadlines, full-duplex).
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// finish settles the response's status once the handler has returned, ctx being
// the request's context as the middleware got it. If an http.TimeoutHandler
// around the middleware answered 503 in the handler's place, the response counts
// as 503, which the default charge policy does not charge. Its writes say so
// with http.ErrHandlerTimeout; a handler that did not write after its deadline
// passed is asked with a write of nothing. That write changes no response whose
// header is written, and a handler that wrote nothing is answered 200 anyway.
// A client that left does not change the status: the handler did its work.
func (w *responseWriter) finish(ctx context.Context) {
	if w.hijacked {
		return
	}
	if !w.timedOut && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		// A handler that returns at the deadline itself may come before the
		// TimeoutHandler's answer, and be taken as served.
		_, err := w.ResponseWriter.Write(nil)
		w.timedOut = err == http.ErrHandlerTimeout
	}
	if w.timedOut {
		w.status = http.StatusServiceUnavailable
	}
}

// statusCode is the response's status: 200 when the handler wrote nothing, as
// net/http answers then.
func (w *responseWriter) statusCode() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
