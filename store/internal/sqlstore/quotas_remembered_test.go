package sqlstore_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// A quota row that another writer changed after this store wrote it is read and
// locked by this store's batches from then on, as a row that instances share is
// best; the other rows of the batch that found it changed are still decided as
// remembered. The quota rows' reads are counted on SQLite, where each passes bun's
// hooks, and the usage checked on the rows.
func TestAQuotaRowAnotherWriterChangedIsReadFromThenOn(t *testing.T) {
	st, other, queries := loggedSQLiteAndOther(t)
	n := 0
	batch := func(st store.Store, subjects ...string) { ingestCounted(t, st, &n, subjects...) }
	reads := func() int { return quotaStatements(queries, "SELECT") }

	batch(st, "acme", "globex")
	require.Equal(t, 0, reads(), "rows the batch created are not read")
	batch(other, "acme", "acme")
	batch(st, "acme", "globex")
	require.Equal(t, 2, reads(), "the changed row is found and told apart, then the batch reads its rows")
	batch(st, "globex")
	require.Equal(t, 2, reads(), "a row nobody else changed is decided as remembered")
	batch(st, "acme")
	batch(st, "acme")
	require.Equal(t, 4, reads(), "the changed row is read every time")

	requireUsed(t, st, map[string]int64{"acme": 6, "globex": 3})
}
