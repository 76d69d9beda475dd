package httpmw_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/httpmw"
	"github.com/usagekit/usage/internal/testdb"
)

func TestSixtyFourClientsAgainstALimitOfHundredAreServedExactlyHundredTimes(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		t.Parallel()
		m := newMeter(t, db)
		mw := newMiddleware(t, m)
		var ran atomic.Int64
		h := serveMux(mw, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ran.Add(1)
			w.WriteHeader(http.StatusCreated)
		}))
		var served, throttled atomic.Int64
		var wg sync.WaitGroup
		for range 64 {
			wg.Go(func() {
				for range 4 {
					switch code := do(h, "POST", "/documents", "acme").StatusCode; code {
					case http.StatusCreated:
						served.Add(1)
					case http.StatusTooManyRequests:
						throttled.Add(1)
					default:
						t.Errorf("status %d", code)
					}
				}
			})
		}
		wg.Wait()
		require.Equal(t, int64(docsLimit), served.Load())
		require.Equal(t, int64(256-docsLimit), throttled.Load())
		require.Equal(t, int64(docsLimit), ran.Load(), "a 429 does not run the handler")
		flush(t, mw)
		require.Equal(t, float64(docsLimit), used(t, m, "acme", docs), "metered usage equals requests served")
		require.Equal(t, int64(docsLimit), mw.Stats().Charged)
	})
}

func TestTooManyRequestsCarriesProblemAndFieldsThatAgree(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		t.Parallel()
		m := newMeter(t, db)
		mw := newMiddleware(t, m, httpmw.WithCost(func(r *http.Request) float64 {
			n, _ := strconv.ParseFloat(r.URL.Query().Get("n"), 64)
			return max(n, 1)
		}))
		h := serveMux(mw, ok200)
		require.Equal(t, http.StatusOK, do(h, "POST", "/documents?n=97", "acme").StatusCode)
		res := do(h, "POST", "/documents?n=5", "acme")
		require.Equal(t, http.StatusTooManyRequests, res.StatusCode)
		require.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))

		var p httpmw.Problem
		require.NoError(t, json.NewDecoder(res.Body).Decode(&p))
		require.Equal(t, httpmw.ProblemTypeQuotaExceeded, p.Type)
		require.Equal(t, http.StatusTooManyRequests, p.Status)
		require.Equal(t, docs, p.Metric)
		require.Equal(t, 97.0, *p.Used)
		require.Equal(t, float64(docsLimit), *p.Limit)
		require.Equal(t, []string{docs}, p.ViolatedPolicies)
		require.NotEmpty(t, p.Title)
		require.NotEmpty(t, p.Detail)
		require.True(t, p.PeriodEnd.After(time.Now()))

		policy := parseItem(t, res.Header.Get("RateLimit-Policy"))
		require.Equal(t, docs, policy.name)
		require.Equal(t, int64(docsLimit), policy.params["q"])
		require.Greater(t, policy.params["w"], int64(27*24*3600), "the window is the billing period")
		rl := parseItem(t, res.Header.Get("RateLimit"))
		require.Equal(t, docs, rl.name)
		require.Equal(t, int64(3), rl.params["r"])
		retry, err := strconv.ParseInt(res.Header.Get("Retry-After"), 10, 64)
		require.NoError(t, err)
		require.Equal(t, rl.params["t"], retry, "Retry-After is the time until the period resets")
		require.InDelta(t, time.Until(*p.PeriodEnd).Seconds(), float64(retry), 2)
		reset, err := strconv.ParseInt(res.Header.Get("X-RateLimit-Reset"), 10, 64)
		require.NoError(t, err)
		require.Equal(t, p.PeriodEnd.Unix(), reset)
		require.Equal(t, "100", res.Header.Get("X-RateLimit-Limit"))
		require.Equal(t, "3", res.Header.Get("X-RateLimit-Remaining"))

		// Three fit.
		res = do(h, "POST", "/documents?n=3", "acme")
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Equal(t, int64(0), parseItem(t, res.Header.Get("RateLimit")).params["r"])
		flush(t, mw)
		require.Equal(t, float64(docsLimit), used(t, m, "acme", docs))
		require.Equal(t, int64(1), mw.Stats().Throttled)
	})
}

func TestServedResponsesCarryTheFieldsAndOptionsTurnThemOff(t *testing.T) {
	t.Parallel()
	m := newMeter(t, testdb.SQLite())
	h := serveMux(newMiddleware(t, m), ok200)
	res := do(h, "GET", "/search", "acme")
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, int64(callsLimit-1), parseItem(t, res.Header.Get("RateLimit")).params["r"])
	require.Equal(t, int64(callsLimit), parseItem(t, res.Header.Get("RateLimit-Policy")).params["q"])
	require.Equal(t, "999", res.Header.Get("X-RateLimit-Remaining"))
	require.Empty(t, res.Header.Get("Retry-After"))
	require.Empty(t, do(h, "GET", "/pages/1", "acme").Header.Get("RateLimit"), "an unlimited metric has no fields")

	h = serveMux(newMiddleware(t, m, httpmw.WithoutRateLimitFields()), ok200)
	res = do(h, "GET", "/search", "acme")
	require.Empty(t, res.Header.Get("RateLimit"))
	require.NotEmpty(t, res.Header.Get("X-RateLimit-Limit"))
	h = serveMux(newMiddleware(t, m, httpmw.WithoutLegacyFields()), ok200)
	res = do(h, "GET", "/search", "acme")
	require.NotEmpty(t, res.Header.Get("RateLimit"))
	require.Empty(t, res.Header.Get("X-RateLimit-Limit"))
}
