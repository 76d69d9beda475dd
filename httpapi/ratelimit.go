package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/usagekit/usage"
)

// setLimitFields writes a quota's rate-limit fields on h as package httpmw does:
// the IETF RateLimit-Policy and RateLimit fields (draft-ietf-httpapi-ratelimit-headers),
// e.g. `"documents";q=100;w=2592000` and `"documents";r=37;t=86400`, and the
// legacy X-RateLimit-Limit, -Remaining and -Reset (Unix seconds). Quantities are
// whole units rounded down, so a client never reads more than there is. window is
// the period's length; zero leaves w out.
func setLimitFields(h http.Header, metric string, limit, remaining usage.Quantity, resetAt time.Time, now time.Time, window ...time.Duration) {
	q, r := wholeUnits(limit), wholeUnits(remaining)
	name := strconv.Quote(metric)
	policy := name + ";q=" + strconv.FormatInt(q, 10)
	if len(window) > 0 && window[0] > 0 {
		policy += ";w=" + strconv.FormatInt(int64(window[0]/time.Second), 10)
	}
	h.Set("RateLimit-Policy", policy)
	h.Set("RateLimit", name+";r="+strconv.FormatInt(r, 10)+";t="+strconv.FormatInt(secondsUntil(resetAt, now), 10))
	h.Set("X-RateLimit-Limit", strconv.FormatInt(q, 10))
	h.Set("X-RateLimit-Remaining", strconv.FormatInt(r, 10))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(resetAt.Unix(), 10))
}

// wholeUnits rounds a quantity down to whole units, never below zero.
func wholeUnits(q usage.Quantity) int64 {
	f := math.Floor(q.Float64())
	if f <= 0 || math.IsNaN(f) {
		return 0
	}
	if f >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(f)
}

// secondsUntil is the whole seconds from now to t, rounded up, never below zero:
// a client that waits that long finds the period over.
func secondsUntil(t, now time.Time) int64 {
	d := t.Sub(now)
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}
