package httpmw

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
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

// fixedFields are the field values of one quota that change only with its limit
// or its period, built once per metric and period instead of once per response.
type fixedFields struct {
	// The quota they were built for.
	metric                 string
	limit, window, resetAt int64
	// policy is RateLimit-Policy's value, name RateLimit's value up to its
	// parameters, limitText and resetText X-RateLimit-Limit's and -Reset's.
	policy, name, limitText, resetText string
}

// fieldCache holds the fixedFields of each metric; safe for concurrent use.
type fieldCache struct {
	m sync.Map // metric → *fixedFields
	// last is the entry last used, found without hashing the metric when a
	// middleware meters one.
	last atomic.Pointer[fixedFields]
}

// get returns the fixed fields of s's quota.
func (c *fieldCache) get(s *limitState, q int64) *fixedFields {
	w, at := seconds(s.window), s.resetAt.Unix()
	if f := c.last.Load(); f != nil && f.metric == s.metric && f.limit == q && f.window == w && f.resetAt == at {
		return f
	}
	if v, ok := c.m.Load(s.metric); ok {
		if f := v.(*fixedFields); f.limit == q && f.window == w && f.resetAt == at {
			c.last.Store(f)
			return f
		}
	}
	var buf [128]byte
	name := string(appendSFString(buf[:0], s.metric))
	b := append(append(buf[:0], name...), ";q="...)
	b = strconv.AppendInt(b, q, 10)
	if w > 0 { // zero when the caller knows no period start (SetRateLimitFields)
		b = append(b, ";w="...)
		b = strconv.AppendInt(b, w, 10)
	}
	f := &fixedFields{metric: s.metric, limit: q, window: w, resetAt: at, policy: string(b), name: name,
		limitText: strconv.FormatInt(q, 10), resetText: strconv.FormatInt(at, 10)}
	// Racing requests may each build and store it: they store equal values.
	c.m.Store(s.metric, f)
	c.last.Store(f)
	return f
}

// limitFields holds the values of the fields a served response carries; the
// header's value slices point into it, so writing them allocates nothing more. A
// 429 carries Retry-After as well, in a longer array of its own.
type limitFields [5]string

// setLimitFields writes the quota's fields on h: the IETF RateLimit-Policy and
// RateLimit structured fields (draft-ietf-httpapi-ratelimit-headers), e.g.
// `"documents";q=100;w=2592000` and `"documents";r=37;t=86400`, and the legacy
// X-RateLimit-Limit, -Remaining and -Reset (Unix time in seconds, as GitHub and
// go-chi/httprate send it). With retryAfter it also sets Retry-After to t. The
// values are kept in vals, which has room for each field written.
func (mw *Middleware) setLimitFields(h http.Header, s *limitState, vals []string, retryAfter bool) {
	ietf, legacy := mw.o.ietf, mw.o.legacy
	q, r, t := integer(s.limit), integer(s.remaining), seconds(s.reset)
	f := mw.fields.get(s, q)
	// The values that change per response are built in one buffer and converted
	// once, each a slice of that string: one allocation. RateLimit's r and t are
	// X-RateLimit-Remaining's and Retry-After's values, so the digits are written
	// once: r in [rFrom, rTo), t in [tFrom, len).
	var buf [160]byte
	b := buf[:0]
	if ietf {
		b = append(b, f.name...)
		b = append(b, ";r="...)
	}
	rFrom := len(b)
	b = strconv.AppendInt(b, r, 10)
	rTo := len(b)
	if ietf {
		b = append(b, ";t="...)
	}
	tFrom := len(b)
	if ietf || retryAfter {
		b = strconv.AppendInt(b, t, 10)
	}
	all := string(b)
	i := 0
	put := func(key, v string) {
		vals[i] = v
		h[key] = vals[i : i+1 : i+1]
		i++
	}
	if ietf {
		put(headerPolicy, f.policy)
		put(headerRateLimit, all)
	}
	if legacy {
		put(headerLimit, f.limitText)
		put(headerRemaining, all[rFrom:rTo])
		put(headerReset, f.resetText)
	}
	if retryAfter {
		put(headerRetryAfter, all[tFrom:])
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
