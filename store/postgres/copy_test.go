package postgres

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store/internal/sqlstore"
)

// A row with fewer values than columns is refused before anything is sent; the
// round trip of every column is tested by the conformance suite.
func TestCopyRowsRefusesShortRows(t *testing.T) {
	err := copyRows(context.Background(), nil, nil, "usage_events", []string{"subject", "value"}, 2,
		func(i int, w sqlstore.RowWriter) {
			w.Text("acme")
			if i == 0 {
				w.Int(1)
			}
		})
	require.ErrorContains(t, err, "copy row 1: 1 values for 2 columns")
}
