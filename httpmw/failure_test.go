package httpmw_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpmw"
	"github.com/usagekit/usage/internal/testdb"
)

// downMeter is a Meter whose quota checks and charges fail as with the database
// down while down is set.
type downMeter struct {
	*usage.Meter
	down atomic.Bool
}

func (d *downMeter) CheckQuota(ctx context.Context, subject, metric string, n float64) (usage.QuotaStatus, error) {
	if d.down.Load() {
		return usage.QuotaStatus{}, fmt.Errorf("check: %w", usage.ErrUnavailable)
	}
	return d.Meter.CheckQuota(ctx, subject, metric, n)
}

func (d *downMeter) Track(ctx context.Context, ev usage.Event) (usage.TrackResult, error) {
	if d.down.Load() {
		return usage.TrackResult{}, context.DeadlineExceeded
	}
	return d.Meter.Track(ctx, ev)
}

func TestAnUnavailableStoreFailsClosedByDefault(t *testing.T) {
	t.Parallel()
	m := &downMeter{Meter: newMeter(t, testdb.SQLite())}
	m.down.Store(true)
	var ran atomic.Int64
	mw := newMiddleware(t, m)
	h := serveMux(mw, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran.Add(1) }))
	for _, req := range [][2]string{{"POST", "/documents"}, {"GET", "/search"}} {
		res := do(h, req[0], req[1], "acme")
		require.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
		require.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
		require.Equal(t, "1", res.Header.Get("Retry-After"))
	}
	require.Zero(t, ran.Load())
}

func TestWithFailOpenServesAndRecordsOnceTheStoreIsBack(t *testing.T) {
	t.Parallel()
	m := &downMeter{Meter: newMeter(t, testdb.SQLite())}
	mw := newMiddleware(t, m, httpmw.WithFailOpen())
	h := serveMux(mw, ok200)
	// The check answers, the charge does not.
	_, err := m.CheckQuota(context.Background(), "acme", docs, 1)
	require.NoError(t, err)
	m.down.Store(true)
	require.Equal(t, http.StatusOK, do(h, "POST", "/documents", "acme").StatusCode)
	require.Equal(t, http.StatusOK, do(h, "GET", "/search", "acme").StatusCode)
	m.down.Store(false)
	flush(t, mw)
	require.Equal(t, 1.0, used(t, m.Meter, "acme", docs))
	require.Equal(t, 1.0, used(t, m.Meter, "acme", calls))
}

func TestStrictModeChargesBeforeTheHandlerAndRefusesOnFailure(t *testing.T) {
	t.Parallel()
	m := &downMeter{Meter: newMeter(t, testdb.SQLite())}
	mw := newMiddleware(t, m, httpmw.WithStrict())
	var usedInHandler float64
	h := serveMux(mw, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		usedInHandler = used(t, m.Meter, "acme", calls)
	}))
	require.Equal(t, http.StatusOK, do(h, "GET", "/search", "acme").StatusCode)
	require.Equal(t, 1.0, usedInHandler, "stored before the handler ran")
	require.Equal(t, http.StatusOK, do(h, "GET", "/search", "acme").StatusCode)

	// A charge that fails refuses the request even where overage is allowed.
	_, err := m.CheckQuota(context.Background(), "acme", calls, 1)
	require.NoError(t, err)
	m.down.Store(true)
	require.Equal(t, http.StatusServiceUnavailable, do(h, "GET", "/search", "acme").StatusCode)
	m.down.Store(false)
	flush(t, mw)
	require.Equal(t, 2.0, used(t, m.Meter, "acme", calls))
}

func TestAnIDReusedForAnotherRequestIsRefusedWith422(t *testing.T) {
	t.Parallel()
	m := newMeter(t, testdb.SQLite())
	mw := newMiddleware(t, m, httpmw.WithCost(func(r *http.Request) float64 {
		if r.URL.Query().Get("big") != "" {
			return 2
		}
		return 1
	}))
	h := serveMux(mw, ok200)
	require.Equal(t, http.StatusOK, do(h, "POST", "/documents", "acme", "Idempotency-Key", "k").StatusCode)
	res := do(h, "POST", "/documents?big=1", "acme", "Idempotency-Key", "k")
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	flush(t, mw)
	require.Equal(t, 1.0, used(t, m, "acme", docs))
}

func TestNewRefusesAnIncompleteConfiguration(t *testing.T) {
	t.Parallel()
	m := newMeter(t, testdb.SQLite())
	for name, c := range map[string]struct {
		m    httpmw.Meter
		s    httpmw.SubjectFunc
		opts []httpmw.Option
	}{
		"no meter":            {nil, subjectFromHeader, []httpmw.Option{httpmw.WithMetric(calls)}},
		"no subject":          {m, nil, []httpmw.Option{httpmw.WithMetric(calls)}},
		"no metric":           {m, subjectFromHeader, nil},
		"no queue":            {m, subjectFromHeader, []httpmw.Option{httpmw.WithMetric(calls), httpmw.WithQueue(0, 1)}},
		"no timeout":          {m, subjectFromHeader, []httpmw.Option{httpmw.WithMetric(calls), httpmw.WithChargeTimeout(0)}},
		"negative batch wait": {m, subjectFromHeader, []httpmw.Option{httpmw.WithMetric(calls), httpmw.WithBatchWait(-time.Millisecond)}},
	} {
		_, err := httpmw.New(c.m, c.s, c.opts...)
		require.Error(t, err, name)
	}
}
