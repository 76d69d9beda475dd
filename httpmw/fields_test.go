package httpmw_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpmw"
)

func TestSetRateLimitFieldsWritesTheMiddlewaresFieldsForAQuota(t *testing.T) {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(30 * 24 * time.Hour)
	now := end.Add(-24 * time.Hour)
	s := usage.QuotaStatus{Metric: "documents", Limit: usage.QuantityFromUnits(100),
		Remaining: usage.QuantityFromUnits(37), Period: usage.Period{Start: start, End: end}}

	h := http.Header{}
	httpmw.SetRateLimitFields(h, s, now, false)
	require.Equal(t, `"documents";q=100;w=2592000`, h.Get("RateLimit-Policy"))
	require.Equal(t, `"documents";r=37;t=86400`, h.Get("RateLimit"))
	require.Equal(t, "100", h.Get("X-RateLimit-Limit"))
	require.Equal(t, "37", h.Get("X-RateLimit-Remaining"))
	require.Equal(t, strconv.FormatInt(end.Unix(), 10), h.Get("X-RateLimit-Reset"))
	require.Empty(t, h.Get("Retry-After"))

	h = http.Header{}
	s.Period.Start, s.Remaining = time.Time{}, usage.Quantity{}
	httpmw.SetRateLimitFields(h, s, now, true)
	require.Equal(t, `"documents";q=100`, h.Get("RateLimit-Policy"), "no window without a period start")
	require.Equal(t, `"documents";r=0;t=86400`, h.Get("RateLimit"))
	require.Equal(t, "86400", h.Get("Retry-After"))

	h = http.Header{}
	httpmw.SetRateLimitFields(h, usage.QuotaStatus{Metric: "documents", Unlimited: true}, now, true)
	require.Empty(t, h, "an unlimited quota has no fields")
}
