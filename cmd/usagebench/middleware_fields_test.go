package main

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/httprate"
	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpmw"
)

// -fields sets the rate-limit fields both middlewares write, so that a run
// compares them writing the same ones.
func TestFieldsSettingIsAppliedToBothMiddlewares(t *testing.T) {
	ctx := context.Background()
	m, closeMeter, err := openExampleMeter(ctx, "sqlite", "", "professional", 1)
	require.NoError(t, err)
	t.Cleanup(closeMeter)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(okBody) })
	subject := func(r *http.Request) (string, string, bool) { return "acme", "", true }
	// fieldsOf serves one request through h and returns the rate-limit fields of
	// its response.
	fieldsOf := func(h http.Handler) []string {
		r, w := benchRequest(1)
		h.ServeHTTP(w, r)
		require.Equal(t, http.StatusOK, w.code)
		var keys []string
		for k := range w.header {
			if strings.Contains(strings.ToLower(k), "ratelimit") {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		return keys
	}
	legacy := []string{"X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset"}
	for _, tc := range []struct {
		fields          string
		httpmw, limiter []string
	}{
		{"default", append([]string{"Ratelimit", "Ratelimit-Policy"}, legacy...), legacy},
		{"legacy", legacy, legacy},
		{"none", nil, nil},
	} {
		t.Run(tc.fields, func(t *testing.T) {
			opts, limiterOpts, err := fieldOptions(tc.fields)
			require.NoError(t, err)
			mw, err := httpmw.New(m, subject, append([]httpmw.Option{httpmw.WithMetric(usage.MetricAPICalls)}, opts...)...)
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, mw.Close(ctx)) })
			require.Equal(t, tc.httpmw, fieldsOf(mw.Handler(handler)), "httpmw's fields")
			//lint:ignore SA1019 the limiter the bench compares with
			lim := httprate.LimitBy(1<<30, time.Hour, httprate.KeyByIP, limiterOpts...)
			require.Equal(t, tc.limiter, fieldsOf(lim(handler)), "httprate's fields")
		})
	}
	_, _, err = fieldOptions("all")
	require.ErrorContains(t, err, "want default, legacy or none")
}
