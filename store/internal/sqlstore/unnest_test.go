package sqlstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store/internal/sqlstore"
)

// Rows sent to Postgres as arrays come back as they were sent, in order, whatever
// characters their text holds: the array literal's quoting, inside the SQL string
// literal's, must not change a value or split one. A statement after a larger one,
// written with the buffers the larger one left, holds only its own rows.
func TestRowsSentAsArraysComeBackAsSent(t *testing.T) {
	b, ok := testdb.Lookup("postgres")
	require.True(t, ok)
	st, _ := b.OpenNew(t)
	db := bunDB(t, st)
	texts := []string{"", "plain", `quote " in`, `back\slash`, `{braces}`, "comma, and space",
		"it's", "NULL", "tab\there", "ünïcødé ✓", `\"`, strings.Repeat("x", 3000), "\x1f"}
	for _, texts := range [][]string{texts, texts[5:9], {}} {
		query := "SELECT * FROM " + sqlstore.UnnestRows(db.Dialect(), []string{"s", "n"}, []string{"text", "bigint"},
			len(texts), func(i int, w sqlstore.RowWriter) {
				w.Text(texts[i])
				w.Int(int64(i) - 3)
			})
		rows, err := db.QueryContext(context.Background(), query)
		require.NoError(t, err)
		var got []string
		for i := 0; rows.Next(); i++ {
			var s string
			var n int64
			require.NoError(t, rows.Scan(&s, &n))
			require.Equal(t, int64(i)-3, n)
			got = append(got, s)
		}
		require.NoError(t, rows.Err())
		require.NoError(t, rows.Close())
		require.Equal(t, len(texts), len(got))
		if len(texts) > 0 {
			require.Equal(t, texts, got)
		}
	}
}
