package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRunPrintsTheThreeVerifiedWebhooks keeps the example true: three webhooks,
// verified, at 80, 90 and 100 %.
func TestRunPrintsTheThreeVerifiedWebhooks(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	text := out.String()
	require.Equal(t, 4, strings.Count(text, "\n"), text)
	for _, want := range []string{"[warning] acme has used 80%", "[high] acme has used 90%", "[critical] acme has used 100%"} {
		require.Contains(t, text, want)
	}
	require.Equal(t, 3, strings.Count(text, "quota.threshold_crossed"))
}
