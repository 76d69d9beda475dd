package sqlstore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
)

// A quota row this store remembers, changed behind its back in any column a batch
// decides by, is decided against as it is: on Postgres the row's version (the
// transaction that wrote it) tells, whatever the write changed, and on SQLite the
// row's columns. Each change below, missed, would admit or refuse the wrong events.
func TestARememberedRowChangedBehindTheStoresBackIsDecidedAsItIs(t *testing.T) {
	changes := []struct {
		name, set string
		want      []store.Status
		used      int64
	}{
		{"the limit lowered", "quota_limit = 2", []store.Status{refused, refused}, 2},
		{"overage allowed", "allow_overage = true", []store.Status{inserted, inserted}, 4},
		{"made unlimited", "unlimited = true", []store.Status{inserted, inserted}, 4},
		{"the usage forgiven", "used = 0, total = 0, count = 0", []store.Status{inserted, inserted}, 2},
	}
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		for _, c := range changes {
			t.Run(c.name, func(t *testing.T) {
				st, _ := b.OpenNew(t)
				require.Equal(t, []store.Status{inserted}, ingestStatuses(t, st, "acme", "1"))
				require.Equal(t, []store.Status{inserted}, ingestStatuses(t, st, "acme", "2"))
				require.Equal(t, 1, sqlStore(t, st).KnownQuotaRows(),
					"after its second batch the store knows the row as it left it")

				_, err := bunDB(t, st).ExecContext(context.Background(), "UPDATE usage_quotas SET "+c.set)
				require.NoError(t, err)
				require.Equal(t, c.want, ingestStatuses(t, st, "acme", "3", "4"))
				requireUsed(t, st, map[string]int64{"acme": c.used})
			})
		}
	})
}

// A batch that decided against remembered rows leaves them known, as it wrote them:
// on Postgres the statement that writes them returns their new version.
func TestRowsDecidedAsRememberedStayKnown(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		st, _ := b.OpenNew(t)
		n := 0
		for range 5 {
			ingestCounted(t, st, &n, "acme", "globex")
		}
		require.Equal(t, 2, sqlStore(t, st).KnownQuotaRows())
		requireUsed(t, st, map[string]int64{"acme": 5, "globex": 5})
	})
}

// Rows a batch created are known from that batch on, with their version where the
// database keeps one: on Postgres a batch that only created rows asks for its
// transaction's ID. The next batch then decides against them as remembered,
// reading none, where without the version it would read and lock them, and with
// a wrong one it would find them changed and read them.
func TestRowsABatchCreatedAreKnownWithTheirVersion(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		st, _ := b.OpenNew(t)
		queries := logQueries(t, st)
		n := 0
		ingestCounted(t, st, &n, "acme", "globex")
		require.Equal(t, 2, sqlStore(t, st).KnownQuotaRows(), "the rows the batch created")

		ingestCounted(t, st, &n, "globex", "acme", "acme")
		require.Zero(t, quotaStatements(queries, "SELECT"), "the rows are decided as remembered")
		require.Equal(t, 2, sqlStore(t, st).KnownQuotaRows())
		requireUsed(t, st, map[string]int64{"acme": 3, "globex": 2})
	})
}
