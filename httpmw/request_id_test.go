package httpmw_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
)

func TestMissingOrHostileRequestIDsAreReplacedByGeneratedOnes(t *testing.T) {
	t.Parallel()
	m := newMeter(t, testdb.SQLite())
	mw := newMiddleware(t, m)
	h := serveMux(mw, ok200)
	hostile := []string{"", strings.Repeat("k", 10<<10), "bad\xff\xfeutf8", "nul\x00byte", "space inside",
		"ünïcode", strings.Repeat("a", 129)}
	for _, id := range hostile {
		for _, path := range []string{"/documents", "/search"} {
			method := map[string]string{"/documents": "POST", "/search": "GET"}[path]
			r := do(h, method, path, "acme", "Idempotency-Key", id)
			require.Equal(t, http.StatusOK, r.StatusCode, "%q", id)
		}
	}
	flush(t, mw)
	n := float64(len(hostile))
	require.Equal(t, n, used(t, m, "acme", docs), "each request is its own event")
	require.Equal(t, n, used(t, m, "acme", calls))
	page, err := m.Events(context.Background(), usage.EventQuery{Subject: "acme"})
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, e := range page.Events {
		require.True(t, strings.HasPrefix(e.ID, "req-"), e.ID)
		require.False(t, seen[e.ID])
		seen[e.ID] = true
	}
}

func TestAnIDOfExactly128PrintableBytesIsKept(t *testing.T) {
	t.Parallel()
	m := newMeter(t, testdb.SQLite())
	mw := newMiddleware(t, m)
	id := strings.Repeat("~", 128)
	do(serveMux(mw, ok200), "POST", "/documents", "acme", "Idempotency-Key", id)
	page, err := m.Events(context.Background(), usage.EventQuery{Subject: "acme"})
	require.NoError(t, err)
	require.Equal(t, id, page.Events[0].ID)
}
