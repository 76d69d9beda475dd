package sqlstore_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/internal/testdb"
)

// A batch that meets subjects this store has not seen decides against their quota
// rows as new and creates them as it leaves them, reading none; a batch of subjects
// whose rows it has committed reads none and creates none: it decides against the
// rows as it left them (compareAndSetQuotas). Reads are counted on SQLite, where
// every one passes bun's hooks; rows created, as SQLite inserts them.
func TestIngestCreatesTheQuotaRowsItHasNotSeenWithoutReadingThem(t *testing.T) {
	st, _, queries := loggedSQLite(t)
	created := insertedRows(t, st, "usage_quotas")
	n := 0
	batch := func(subjects ...string) { ingestCounted(t, st, &n, subjects...) }
	reads := func() int { return quotaStatements(queries, "SELECT") }

	batch("acme", "globex")
	require.EqualValues(t, 2, created.Load(), "the new rows are created")
	require.Equal(t, 0, reads(), "and not read: the batch wrote them")
	batch("globex", "acme")
	require.EqualValues(t, 2, created.Load(), "rows seen before are not created again")
	require.Equal(t, 0, reads(), "nor read")
	batch("acme", "initech")
	require.EqualValues(t, 3, created.Load())
	require.Equal(t, 0, reads(), "a batch of a new row and a remembered one reads neither")

	// More new rows than one statement holds, none of them read.
	var many []string
	for i := range 1200 {
		many = append(many, fmt.Sprintf("tenant-%04d", i))
	}
	batch(many...)
	require.EqualValues(t, 1203, created.Load())
	require.Equal(t, 0, reads())
	require.True(t, sqlStore(t, st).InsertsFinal())

	requireUsed(t, st, map[string]int64{"acme": 3, "tenant-1199": 1})
}

// A row this store has not seen may exist all the same, created by another writer:
// then the batch's insert of its rows as it leaves them creates fewer rows than it
// asked for, the attempt is rolled back, and the next creates the missing rows
// first and reads and locks every row of the batch, deciding against what they
// hold. Batches go on that way until one finds all the rows it creates new. The
// usage checked on the rows shows the other writer's events kept.
func TestABatchReadsItsRowsWhenAnotherWriterCreatedOneOfThem(t *testing.T) {
	st, other, queries := loggedSQLiteAndOther(t)
	created := insertedRows(t, st, "usage_quotas")
	n := 0
	ingestCounted(t, other, &n, "acme", "acme")
	ingestCounted(t, st, &n, "acme", "globex")
	require.EqualValues(t, 2, created.Load(), "globex, by the insert that found acme and was rolled back, and by the next")
	require.Equal(t, 1, quotaStatements(queries, "SELECT"), "one of the two rows existed: both are read")
	require.False(t, sqlStore(t, st).InsertsFinal())

	ingestCounted(t, st, &n, "initech")
	require.EqualValues(t, 3, created.Load())
	require.Equal(t, 1, quotaStatements(queries, "SELECT"), "a row the batch created is not read")
	require.True(t, sqlStore(t, st).InsertsFinal(), "the batch found its one new row new")

	requireUsed(t, st, map[string]int64{"acme": 3, "globex": 1, "initech": 1})
}

// On either backend, a batch that creates as new a row another store on the database
// created already fails that attempt, whether the backend's bulk load refuses the
// row (Postgres) or the insert leaves it out (SQLite), and stores its events in the
// next, deciding against the row as the other store left it; the store creates rows
// as new again once a batch finds all of them new.
func TestABatchThatCreatesARowAnotherStoreCreatedStoresItsEvents(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		loc := b.NewDatabase(t)
		st, other := b.OpenAt(t, loc), b.OpenAt(t, loc)
		n := 0
		ingestCounted(t, st, &n, "globex")
		require.True(t, sqlStore(t, st).InsertsFinal())
		ingestCounted(t, other, &n, "acme", "acme")
		ingestCounted(t, st, &n, "acme", "globex", "initech")
		require.False(t, sqlStore(t, st).InsertsFinal(), "acme was not new")
		ingestCounted(t, st, &n, "hooli")
		require.True(t, sqlStore(t, st).InsertsFinal(), "hooli was")
		requireUsed(t, st, map[string]int64{"acme": 3, "globex": 2, "initech": 1, "hooli": 1})
	})
}
