package httpmw

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// Canonical header keys, assigned to the header map directly.
const (
	headerPolicy     = "Ratelimit-Policy"
	headerRateLimit  = "Ratelimit"
	headerLimit      = "X-Ratelimit-Limit"
	headerRemaining  = "X-Ratelimit-Remaining"
	headerReset      = "X-Ratelimit-Reset"
	headerRetryAfter = "Retry-After"
)

// limitState is what the rate-limit fields of one response say about its quota.
type limitState struct {
	metric    string
	limit     float64
	remaining float64
	// window is the period's length and reset the time left until it ends.
	window, reset time.Duration
	// resetAt is when the period ends.
	resetAt time.Time
}

// seconds rounds d up to whole seconds, never below zero: a client that waits that
// long finds the period over.
func seconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// integer is a quantity as the fields carry it: whole units, rounded down, so a
// client never reads more than there is.
func integer(v float64) int64 {
	if v <= 0 || math.IsNaN(v) {
		return 0
	}
	return int64(math.Floor(v))
}

// setLimitFields writes the quota's fields on h: the IETF RateLimit-Policy and
// RateLimit structured fields (draft-ietf-httpapi-ratelimit-headers), e.g.
// `"documents";q=100;w=2592000` and `"documents";r=37;t=86400`, and the legacy
// X-RateLimit-Limit, -Remaining and -Reset (Unix time in seconds, as GitHub and
// go-chi/httprate send it). With retryAfter it also sets Retry-After to t.
func setLimitFields(h http.Header, s *limitState, ietf, legacy, retryAfter bool) {
	// All values are built in one buffer and converted once, and their slices
	// share one array, so the fields cost two allocations.
	var buf [256]byte
	b := buf[:0]
	var ends [6]int
	n := 0
	mark := func() { ends[n] = len(b); n++ }
	q, r, t := integer(s.limit), integer(s.remaining), seconds(s.reset)
	if ietf {
		b = appendSFString(b, s.metric)
		b = append(b, ";q="...)
		b = strconv.AppendInt(b, q, 10)
		b = append(b, ";w="...)
		b = strconv.AppendInt(b, seconds(s.window), 10)
		mark()
		b = appendSFString(b, s.metric)
		b = append(b, ";r="...)
		b = strconv.AppendInt(b, r, 10)
		b = append(b, ";t="...)
		b = strconv.AppendInt(b, t, 10)
		mark()
	}
	if legacy {
		b = strconv.AppendInt(b, q, 10)
		mark()
		b = strconv.AppendInt(b, r, 10)
		mark()
		b = strconv.AppendInt(b, s.resetAt.Unix(), 10)
		mark()
	}
	if retryAfter {
		b = strconv.AppendInt(b, t, 10)
		mark()
	}
	all := string(b)
	vals := new([6]string)
	start := 0
	for i := range n {
		vals[i] = all[start:ends[i]]
		start = ends[i]
	}
	i := 0
	put := func(key string) { h[key] = vals[i : i+1 : i+1]; i++ }
	if ietf {
		put(headerPolicy)
		put(headerRateLimit)
	}
	if legacy {
		put(headerLimit)
		put(headerRemaining)
		put(headerReset)
	}
	if retryAfter {
		put(headerRetryAfter)
	}
}

// appendSFString appends s as a structured-field string (RFC 9651 section 3.3.3):
// quoted, with '"' and '\' escaped; bytes outside printable ASCII, which a string
// cannot hold, become '?'. Metric keys never have them.
func appendSFString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c > 0x7e:
			b = append(b, '?')
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
