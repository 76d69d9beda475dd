// Package sqlstore is the one implementation of store.Store over bun, shared by the
// SQLite and Postgres backends. The backends differ only in what Dialect says: whether
// writers run concurrently (and so whether rows are locked), how migrations are locked,
// which errors are worth a retry, and how events are bulk-loaded.
package sqlstore

import (
	"context"
	"database/sql"
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
	// writers queue for one write slot.
	Capabilities store.Capabilities
	// Serial is the column type of an auto-incrementing primary key.
	Serial string
	// Bytes is the column type of binary content.
	Bytes string
	// MigrationLock is run first in the migration transaction so that only one
	// process migrates at a time ("" where the transaction is already exclusive).
	MigrationLock string
	// Retryable reports whether a failed transaction may succeed when run again
	// (deadlock, serialisation failure, database busy).
	Retryable func(error) bool
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
	// Unavailable reports whether an error means the database cannot be reached
	// (connection refused or lost, server shutting down); such errors are returned
	// wrapped in store.ErrUnavailable for the caller to retry later.
	Unavailable func(error) bool
}

// RowWriter takes the values of one row of Dialect.CopyRows, in column order.
type RowWriter interface {
	Text(string)
	Int(int64)
}

// defaultListLimit is the page size of the List methods when none is given.
const defaultListLimit = 1000

// Store implements store.Store on a bun.DB.
type Store struct {
	db      *bun.DB
	dialect Dialect
	closeDB bool
	// writeSlot serialises this process's writers on backends without concurrent
	// writers, so they queue here instead of spinning on the database's busy lock.
	writeSlot chan struct{}
}

var _ store.Store = (*Store)(nil)

// Open migrates the database to the current schema and returns a Store on it. With
// closeDB, Close also closes db.
func Open(ctx context.Context, db *bun.DB, dialect Dialect, closeDB bool) (*Store, error) {
	s := &Store{db: db, dialect: dialect, closeDB: closeDB, writeSlot: make(chan struct{}, 1)}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Capabilities implements store.Store.
func (s *Store) Capabilities() store.Capabilities { return s.dialect.Capabilities }

// Close implements store.Store.
func (s *Store) Close() error {
	if s.closeDB {
		return s.db.Close()
	}
	return nil
}

// rowLocks reports whether a transaction must lock the rows it will change: only
// where writers run concurrently, since elsewhere every write transaction holds the
// database's write lock from its start.
func (s *Store) rowLocks() bool { return s.dialect.Capabilities.ConcurrentWriters }

// DB returns the underlying database, for the backends' own tests.
func (s *Store) DB() *bun.DB { return s.db }

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
