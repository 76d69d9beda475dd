package sqlstore

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestADimensionKeyReadsBackAsItsValues(t *testing.T) {
	names := []string{"region", "route", "status"}
	for _, values := range [][]string{
		{"eu", "/v1/a", "200"},
		{"", `quote " and \ backslash`, "tab\tnewline\n\x01"},
		{"日本", "<&>", "\u2028"},
	} {
		got, err := parseDimensionKey(dimensionKey(names, values))
		require.NoError(t, err)
		require.Equal(t, map[string]string{"region": values[0], "route": values[1], "status": values[2]}, got)
	}
	require.NotEqual(t, dimensionKey(names, []string{"a", "b", "c"}), dimensionKey(names, []string{"a", "b", "d"}))
}
