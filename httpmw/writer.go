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
// the request's context as the middleware got it. The client did not get the
// handler's answer if a write timed out (http.TimeoutHandler answered 503
// instead), or if the handler wrote no body after ctx ended (the client left, or a
// timeout answered). Both count as 503, which the default charge policy does not
// charge.
func (w *responseWriter) finish(ctx context.Context) {
	if w.hijacked || ctx.Err() == nil && !w.timedOut {
		return
	}
	if w.bytes > 0 && !w.timedOut {
		// What was written before a TimeoutHandler's deadline is dropped, and only
		// a write says so, once the TimeoutHandler has answered: a handler that
		// returns at the deadline itself may be taken as served. A write of nothing
		// changes no response whose body has begun.
		_, err := w.ResponseWriter.Write(nil)
		w.timedOut = err == http.ErrHandlerTimeout
	}
	if w.timedOut || w.bytes == 0 {
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
