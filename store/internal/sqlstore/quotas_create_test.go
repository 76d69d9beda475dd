package sqlstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// A batch that meets subjects this store has not seen creates their quota rows
// before it reads any, instead of reading them, finding them missing and running
// again; a batch of subjects whose rows it has committed reads none and creates
// none: it decides against the rows as it left them (compareAndSetQuotas). The
// statements are counted on SQLite, where every one of them passes bun's hooks
// (Postgres sends the first of a pipelined transaction on the driver's connection).
func TestIngestCreatesTheQuotaRowsItHasNotSeenBeforeReadingThem(t *testing.T) {
	ctx := context.Background()
	st, _, queries := loggedSQLite(t)
	n := 0
	batch := func(subjects ...string) { ingestCounted(t, st, &n, subjects...) }
	count := func(prefix string) int { return quotaStatements(queries, prefix) }

	batch("acme", "globex")
	require.Equal(t, 1, count("INSERT"), "the new rows are created")
	require.Equal(t, 1, count("SELECT"), "and read once, after")
	batch("globex", "acme")
	require.Equal(t, 1, count("INSERT"), "rows seen before are not created again")
	require.Equal(t, 1, count("SELECT"), "nor read again")
	batch("acme", "initech")
	require.Equal(t, 2, count("INSERT"))
	require.Equal(t, 2, count("SELECT"), "a batch with a new row reads all of its rows")

	// More new rows than one statement holds: created in one round trip, and every
	// one found by the reads that follow.
	var many []string
	for i := range 1200 {
		many = append(many, fmt.Sprintf("tenant-%04d", i))
	}
	batch(many...)
	require.Equal(t, 3, count("INSERT"))
	require.Equal(t, 5, count("SELECT"), "three reads of 500 rows at most")

	for subject, used := range map[string]int64{"acme": 3, "tenant-1199": 1} {
		quotas, err := st.GetQuotas(ctx, &store.GetQuotasParams{Subject: subject, At: now})
		require.NoError(t, err)
		require.Len(t, quotas.Quotas, 1)
		require.Equal(t, used, quotas.Quotas[0].Used, subject)
	}
}
