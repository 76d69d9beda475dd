package httpmw

import (
	"net/http"
	"time"

	"github.com/usagekit/usage"
)

// SetRateLimitFields writes on h the rate-limit fields the middleware writes for
// quota s: the IETF RateLimit-Policy and RateLimit fields and the legacy
// X-RateLimit-Limit, -Remaining and -Reset, with the reset counted from now. With
// retryAfter it also sets Retry-After to the seconds until the period ends, as a
// 429 does. For handlers that track usage themselves and answer with the same
// fields (package httpapi's tracking routes). A zero s.Period.Start leaves the
// window (w) out of RateLimit-Policy. An unlimited quota has no fields: h is left
// as it is.
func SetRateLimitFields(h http.Header, s usage.QuotaStatus, now time.Time, retryAfter bool) {
	if s.Unlimited {
		return
	}
	ls := &limitState{metric: s.Metric, limit: s.Limit.Float64(), remaining: s.Remaining.Float64(),
		reset: s.Period.End.Sub(now), resetAt: s.Period.End}
	if !s.Period.Start.IsZero() {
		ls.window = s.Period.End.Sub(s.Period.Start)
	}
	mw := &Middleware{o: options{ietf: true, legacy: true}}
	mw.setLimitFields(h, ls, make([]string, len(limitFields{})+1), retryAfter)
}
