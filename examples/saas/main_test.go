package main

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// announced is an io.Writer that says when the service has printed its welcome.
type announced struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan struct{}
	once  sync.Once
}

func (a *announced) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	n, err := a.buf.Write(p)
	if bytes.Contains(a.buf.Bytes(), []byte("OpenAPI document")) {
		a.once.Do(func() { close(a.ready) })
	}
	return n, err
}

func (a *announced) String() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.buf.String()
}

func TestRunPrintsTheDashboardAndKeysThatWorkAndStopsWithItsContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	out := &announced{ready: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- run(ctx, "127.0.0.1:0", "", out) }()
	select {
	case <-out.ready:
	case err := <-done:
		t.Fatalf("run returned before serving: %v\n%s", err, out)
	}

	text := out.String()
	url := regexp.MustCompile(`http://127\.0\.0\.1:\d+/usage/dashboard/`).FindString(text)
	require.NotEmpty(t, url, text)
	res, err := http.Get(url)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)

	keys := regexp.MustCompile(`(?m)^  (acme|globex|initech|operator) +(sk_\S+)`).FindAllStringSubmatch(text, -1)
	require.Len(t, keys, 4, text)
	for _, k := range keys {
		req, err := http.NewRequest(http.MethodGet, strings.TrimSuffix(url, "dashboard/")+"v1/admin/top?metric=api_calls", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+k[2])
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		want := http.StatusForbidden // a tenant's key, authenticated, is no operator's
		if k[1] == operatorName {
			want = http.StatusOK
		}
		require.Equal(t, want, res.StatusCode, k[1])
	}

	cancel()
	require.NoError(t, <-done)
}
