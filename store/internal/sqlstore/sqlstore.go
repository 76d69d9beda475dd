// Package sqlstore is the one implementation of store.Store over bun, shared by the
// SQLite and Postgres backends. The backends differ only in what Dialect says: whether
// writers run concurrently (and so whether rows are locked), how migrations are locked,
// which errors are worth a retry, and how events are bulk-loaded.
package sqlstore

import (
	"context"
	"database/sql"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// Dialect holds what differs between the backends.
type Dialect struct {
	// Capabilities is returned by Store.Capabilities. Its ConcurrentWriters also
	// decides locking: where writers run concurrently, a transaction locks the rows it
	// will change with SELECT … FOR UPDATE; where they do not, every write
	// transaction holds the database's write lock from its start, and this process's
	// writers take turns on one connection kept for them.
	Capabilities store.Capabilities
	// Serial is the column type of an auto-incrementing primary key.
	Serial string
	// Bytes is the column type of binary content.
	Bytes string
	// Clustered is the table option that stores a table's rows in its primary key's
	// order, so that a range of the key is read from adjacent pages ("" where tables
	// are heaps beside their indexes).
	Clustered string
	// UpdateRoom is the storage option of a table whose rows nearly every commit
	// rewrites: room kept free on each page, so that a row's new version fits on
	// the page of the old one, where no index needs a new entry for it ("" where
	// rows are updated in place).
	UpdateRoom string
	// MigrationLock is run first in the migration transaction so that only one
	// process migrates at a time ("" where the transaction is already exclusive).
	MigrationLock string
	// Retryable reports whether a failed transaction may succeed when run again at
	// once (deadlock, serialisation failure): a conflict with another transaction,
	// which retry resolves inside one call of a method. Unavailable takes
	// precedence: a transient failure is the caller's to retry.
	Retryable func(error) bool
	// RowsAt is the condition that picks the rows of an ordinary table by their
	// physical address, with %s for a subquery that selects those addresses
	// (ctid on Postgres, rowid on SQLite): the rows are fetched where they lie,
	// whatever the planner believes of the table's statistics.
	RowsAt string
	// RowAddress is the column a RowsAt subquery selects.
	RowAddress string
	// UniqueViolation reports whether an error is a violated unique constraint of
	// table.
	UniqueViolation func(err error, table string) bool
	// CopyRows writes n rows into table with the backend's bulk-load protocol,
	// inside the transaction open on conn: no SQL text to build, escape or parse per
	// value. row writes row i's values to w, one per column, in order. The
	// statements of before (without arguments) run first and those of after last,
	// in the same round trip. Nil for a database in process, where rows go through
	// prepared statements.
	CopyRows func(ctx context.Context, conn *sql.Conn, before, after []string, table string, columns []string, n int, row func(i int, w RowWriter)) error
	// InTransaction reports whether a transaction is open on conn. Where it is set,
	// Ingest pipelines its transaction: a BEGIN in the message of its first query
	// opens it and a COMMIT in the message of its writes ends it (see ingestTx);
	// InTransaction then checks that the attempt left nothing open.
	InTransaction func(conn *sql.Conn) bool
	// Unavailable reports whether an error is transient: the database cannot be
	// reached or cannot serve now (connection refused or lost, server shutting down
	// or starting, too many connections, a lock held past the busy timeout). Every
	// method returns such errors wrapped in store.ErrUnavailable (see classify), for
	// the caller to run the call again later; all other errors are permanent.
	Unavailable func(error) bool
	// DropIdle closes the idle connections of a pool the store opened, after a call
	// failed with err, an error Unavailable reports, if err says a connection was
	// lost: where that says the others are likely lost too (a server restarted, a
	// network cut) and the driver does not check a connection used lately before
	// it is used again, each would otherwise fail one more call after the database
	// is back. Nil: the pool is left as it is.
	DropIdle func(db *sql.DB, err error)
	// RowVersion is the version the database keeps of every row (see RowVersion),
	// which Ingest compares remembered quota rows by; it must be set where writers
	// run concurrently. Nil: Ingest compares a remembered quota row by every column
	// a write may change, which it may do only as the holder of the database's
	// write lock.
	RowVersion *RowVersion
	// DataVersion is a query that returns a number that changes whenever another
	// connection commits a write to the database, set where writers take turns on
	// one connection (see engine.look). Empty: Ingest compares every remembered quota row
	// as it writes it.
	DataVersion string
}

// RowWriter takes the values of one row of Dialect.CopyRows, in column order.
type RowWriter interface {
	Text(string)
	Int(int64)
	Bool(bool)
}

// defaultListLimit is the page size of the List methods when none is given.
const defaultListLimit = 1000

// listLimit is the page size a List method asked for n uses: n, or def when n is
// not positive.
func listLimit(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

// engine implements the methods of store.Store on a bun.DB; Store passes their
// errors through the dialect's classification.
type engine struct {
	db      *bun.DB
	dialect Dialect
	closeDB bool
	// writer serialises this process's writers on backends without concurrent
	// writers, so they queue here instead of spinning on the database's busy lock.
	// It holds the connection they share, nil until the first write (see
	// withWriteConn).
	writer chan *writerConn
	// kept remembers dimension values the database keeps, for Ingest. Nothing
	// deletes a kept value, so a value read once is kept for good: a batch whose
	// values are all remembered need not read them.
	kept *boundedSet[dimensionRow]
	// quotas remembers the quota rows that exist, for Ingest (see
	// quotasToCreate).
	quotas *quotaKeys
	// quotaStates remembers quota rows as this store last committed them, for
	// Ingest (see compareAndSetQuotas).
	quotaStates *quotaStates
	// recent remembers the events this store stored lately, for Ingest to read
	// first those of a batch that may replay them.
	recent *recentEvents
	// insertFinal is set while the quota rows this store has not seen turn out
	// not to exist when it creates them (see insertFinalQuotas); it is cleared by
	// a batch that finds one existing.
	insertFinal atomic.Bool
	// sight counts the times this store lost sight of what is written to its quota
	// rows, where writers take turns (see engine.look): a row remembered since
	// the last time is as this store left it.
	sight atomic.Uint64
}

// Open migrates the database to the current schema and returns a Store on it, with
// the settings opts give. With closeDB, Close also closes db.
func Open(ctx context.Context, db *bun.DB, dialect Dialect, closeDB bool, opts []store.Option) (*Store, error) {
	set, err := store.SettingsOf(opts)
	if err != nil {
		return nil, err
	}
	n := set.RememberedRows
	s := &engine{db: db, dialect: dialect, closeDB: closeDB, writer: make(chan *writerConn, 1),
		kept: newBoundedSet[dimensionRow](n), quotas: newQuotaKeys(quotaKeysPerRow * n), quotaStates: newQuotaStates(n, dialect.RowVersion != nil), recent: newRecentEvents(n)}
	s.writer <- nil
	s.insertFinal.Store(true)
	if err := s.migrate(ctx); err != nil {
		return nil, s.classify(err)
	}
	return &Store{s}, nil
}

// rowLocks reports whether a transaction must lock the rows it will change: only
// where writers run concurrently, since elsewhere every write transaction holds the
// database's write lock from its start.
func (s *engine) rowLocks() bool { return s.dialect.Capabilities.ConcurrentWriters }

// micros converts a time to stored microseconds since the Unix epoch.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicros converts stored microseconds back to a UTC time; 0 is the zero time.
func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}
