// Package httpmw is net/http middleware that meters every request of a service with
// a usage.Meter and enforces the subject's quotas, with no change to the handlers.
//
// A Middleware is built from the Meter, a SubjectFunc that reads the subject from the
// host's authentication, and options that map routes to metrics:
//
//	mw, err := httpmw.New(meter, subjectFromAuth, httpmw.WithRoutes(map[string]string{
//		"POST /v1/documents": "documents",
//		"GET /v1/search":     "api_calls",
//	}))
//	defer mw.Close(ctx)
//	mux.Handle("POST /v1/documents", mw.Handler(documents))
//
// For each metered request it checks the quota for the request's cost before the
// handler runs. A request over a limit without overage is answered 429 with an RFC
// 9457 application/problem+json body, Retry-After set to the seconds until the
// period resets, and the RateLimit-Policy and RateLimit fields of the IETF draft
// (draft-ietf-httpapi-ratelimit-headers) beside the legacy X-RateLimit-* fields;
// the handler does not run and nothing is charged. Served responses carry the same
// fields.
//
// # Exact or off the response path
//
// How a request is recorded depends on its quota:
//
//   - A metric whose limit allows no overage is charged before the handler runs, by
//     Meter.Track, which refuses atomically in the database. This is what makes the
//     limit exact under any concurrency and across instances (a check from memory
//     alone lets concurrent requests through together). The charge adds one commit,
//     shared with concurrent requests by group commit, to the request's latency. If
//     the response turns out not to be charged (see DefaultCharge) or the handler
//     panics, the charge is voided with Meter.Correct; if the handler changed the cost
//     with SetCost, it is amended. The event carries the route and method only, since
//     the status and latency are not known when it is stored; SetProperty reports
//     false there. A client that leaves while its charge is being stored does not
//     end the charge, so its outcome is known: the charge is voided and the
//     handler does not run. A charge the store does not confirm within
//     WithChargeTimeout is answered 503 (with WithFailOpen, served). Its event may
//     be stored later: with a generated ID it is voided once stored; the client's
//     own ID is left to the client's retry, which is then served without a second
//     charge.
//   - Every other request (overage allowed, unlimited, or no plan limit) is recorded
//     after the response, off its path: the event, with route, method, status,
//     latency (latency_ms: from the quota check to the handler's return), bytes and
//     the host's properties, goes to a bounded queue that a few
//     goroutines drain into Meter.TrackBatch, holding a batch open for up to
//     WithBatchWait so that a steady trickle of requests is stored in a few commits
//     rather than one per request. A place in the queue is taken before the handler
//     runs, so a full queue never drops an event: it is counted in Stats.QueueFull
//     and the request waits for room or, with WithQueueFull(Refuse), is answered
//     503. Close flushes the queue. The workers fill the properties maps of a
//     stored batch again for a later one, so a Meter that wraps *usage.Meter must
//     copy any it keeps (see Meter).
//
// WithStrict charges every metered request before the handler runs, as for exact
// limits, and refuses it when the charge fails.
//
// # What counts as served
//
// A response is charged by its status, as the charge policy says. When an
// http.TimeoutHandler around the middleware answered 503 in the handler's place,
// the response counts as 503: the handler's writes return
// http.ErrHandlerTimeout, and one that returns without writing after its
// deadline is asked with a write of nothing. A handler that returns at the
// deadline itself may come before TimeoutHandler's answer, and be charged. A
// client that leaves while the handler runs does not change what is charged: the
// handler did its work.
//
// # Idempotency
//
// The event ID is the request's ID, read from the Idempotency-Key header by default
// (WithRequestIDHeader), or generated when the header is missing or unusable (empty,
// over 128 bytes, or not printable ASCII). A retried request with the same ID is not
// charged twice.
//
// The ID comes from the client, so a client that sends an ID again gets its
// request served without a charge: the handler runs each time. Read it only on
// endpoints that honour the key themselves, storing the first response and
// replaying it for a retry (as the Idempotency-Key draft asks of a server), or
// from a header a proxy sets and clients cannot; elsewhere WithRequestIDHeader("")
// charges every request. Stats.Duplicates counts the requests served as retries.
//
// # Failures
//
// When the store cannot be reached the middleware fails closed by default: requests
// whose quota cannot be checked or charged are answered 503 with a problem body.
// WithFailOpen serves them instead and records them off the response path, to be
// stored once the database is back.
package httpmw
