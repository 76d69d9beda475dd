// Package sqlite is the embedded SQLite backend of usage: one file, pure Go (the
// modernc.org/sqlite driver, no cgo), safe for several goroutines and for several
// processes sharing the file.
//
// Open opens a file with the settings below; New takes a *sql.DB the caller opened
// (with DSN, so it has them too). The database runs in WAL mode with
// synchronous=FULL, so a committed event survives a kill -9 of the process and a
// crash of the machine. Every write transaction starts with BEGIN IMMEDIATE, taking
// the file's write lock at once: writers are serialised (a busy timeout makes other
// processes wait for the lock), which is what keeps quota enforcement exact across
// processes without row locks.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/usagekit/usage/store"
	"github.com/usagekit/usage/store/internal/sqlstore"
)

// BusyTimeout is how long a write waits for another process's write lock before the
// attempt fails with store.ErrUnavailable (which the Meter retries while its
// caller's context lasts).
const BusyTimeout = 10 * time.Second

// maxOpenConns bounds the pool: WAL lets readers run beside the one writer.
const maxOpenConns = 8

// Store is a usage store in one SQLite file. It is safe for concurrent use. Hand it
// to usage.New, which is what calls its methods; they are those of store.Store and
// documented there.
type Store struct {
	store.Store
	checkpoints *checkpointer
}

var _ store.Store = (*Store)(nil)

// Open opens the SQLite database at path, creating it if needed, and migrates it to
// the current schema. The Store owns the database: Close closes it. Open limits the
// pool to a few connections, which WAL lets read beside the one writer. opts change
// the Store's settings (store.WithRememberedRows).
func Open(ctx context.Context, path string, opts ...store.Option) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty path: name a database file such as \"usage.db\"")
	}
	db, err := sql.Open("sqlite", DSN(path))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(maxOpenConns)
	if err := connect(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s, err := sqlstore.Open(ctx, bun.NewDB(db, sqlitedialect.New()), dialect, true, opts)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	return &Store{Store: s, checkpoints: startCheckpointer(db)}, nil
}

// New returns a Store on db, a database the caller opened with the modernc.org/sqlite
// driver ("sqlite") and owns: Close leaves it open. It migrates the database to the
// current schema. opts change the Store's settings, as for Open.
//
// db's connections need the settings DSN gives them; open it with
// sql.Open("sqlite", sqlite.DSN(path)). New checks one connection for WAL mode,
// synchronous=FULL (or EXTRA) and a busy timeout, and fails naming what is missing.
// It cannot see the driver's _txlock=immediate: without it another process's writer
// can take the lock mid-transaction, and the loser's transaction runs again, which
// keeps quotas exact but wastes the attempt. The pool's limits stay the caller's;
// the Store takes one of its connections for a moment, at short intervals, to
// checkpoint the WAL beside its writes, until Close.
func New(ctx context.Context, db *sql.DB, opts ...store.Option) (*Store, error) {
	if err := check(ctx, db); err != nil {
		return nil, err
	}
	s, err := sqlstore.Open(ctx, bun.NewDB(db, sqlitedialect.New()), dialect, false, opts)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return &Store{Store: s, checkpoints: startCheckpointer(db)}, nil
}

// Close ends the Store and its checkpoints. It closes the database when Open opened
// it, and leaves it open when the caller handed it to New. Close the Meter using the
// Store first.
func (s *Store) Close() error {
	s.checkpoints.stop()
	return s.Store.Close()
}

// check reports what db lacks of the settings DSN gives a connection.
func check(ctx context.Context, db *sql.DB) error {
	if _, ok := db.Driver().(*sqlite.Driver); !ok {
		return fmt.Errorf("sqlite: New needs a database opened with the modernc.org/sqlite driver, not %T: use sql.Open(\"sqlite\", sqlite.DSN(path))", db.Driver())
	}
	if err := connect(ctx, db); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	defer conn.Close()
	var mode string
	var synchronous, busy int64
	for _, p := range []struct {
		pragma string
		into   any
	}{{"journal_mode", &mode}, {"synchronous", &synchronous}, {"busy_timeout", &busy}} {
		if err := conn.QueryRowContext(ctx, "PRAGMA "+p.pragma).Scan(p.into); err != nil {
			return fmt.Errorf("sqlite: read %s: %w", p.pragma, err)
		}
	}
	var missing []string
	if !strings.EqualFold(mode, "wal") {
		missing = append(missing, "journal_mode=WAL (has "+mode+")")
	}
	// 2 is FULL and 3 EXTRA: a commit is on disk before it returns.
	if synchronous < 2 {
		missing = append(missing, fmt.Sprintf("synchronous=FULL (has %d)", synchronous))
	}
	if busy <= 0 {
		missing = append(missing, "a busy_timeout")
	}
	if len(missing) > 0 {
		return fmt.Errorf("sqlite: the database lacks %s: open it with sql.Open(\"sqlite\", sqlite.DSN(path))", strings.Join(missing, ", "))
	}
	return nil
}

// DSN returns the modernc.org/sqlite data source name Open uses for path, for callers
// that open the database themselves and hand it to New: WAL, synchronous=FULL, a
// busy timeout, BEGIN IMMEDIATE transactions, temporary storage in memory, a 16 MiB
// page cache and a checkpoint by the writer every 40,000 WAL pages (the Store
// checkpoints beside the writes far more often, see checkpointer).
func DSN(path string) string {
	q := url.Values{}
	q.Set("_txlock", "immediate")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	// Temporary files (statement journals, sorts) in memory: no crash needs them,
	// and on disk they cost a system call per page written.
	q.Add("_pragma", "temp_store(MEMORY)")
	// 16 MiB of page cache per connection (the default is 2 MiB): the writer's
	// transactions keep the hot pages of usage_events' indexes between commits
	// instead of reading them again from the file.
	q.Add("_pragma", "cache_size(-16384)")
	// The committing connection checkpoints the WAL into the file itself only when
	// it reaches 40,000 pages (160 MiB), not every 1,000: the Store's checkpointer
	// copies the pages beside the writes, and a commit that checkpoints holds every
	// write queued behind it. The WAL file can reach that size under a steady load.
	q.Add("_pragma", "wal_autocheckpoint(40000)")
	return path + "?" + q.Encode()
}

var dialect = sqlstore.Dialect{
	Capabilities: store.Capabilities{
		Name:              "sqlite",
		ConcurrentWriters: false,
	},
	Serial:          "INTEGER PRIMARY KEY AUTOINCREMENT",
	Bytes:           "BLOB",
	Clustered:       "WITHOUT ROWID",
	RowsAt:          "rowid IN (%s)",
	RowAddress:      "rowid",
	Retryable:       retryable,
	UniqueViolation: uniqueViolation,
	Unavailable:     unavailable,
	DataVersion:     "PRAGMA data_version",
}

// uniqueViolation reports a violated unique constraint of table, which SQLite names
// only in the message ("UNIQUE constraint failed: table.column, …").
func uniqueViolation(err error, table string) bool {
	var e *sqlite.Error
	return errors.As(err, &e) &&
		(e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) &&
		strings.Contains(e.Error(), " failed: "+table+".")
}

// retryable reports no error: SQLite's conflicts are "busy" and "locked", another
// connection holding the lock past the busy timeout, and those are unavailable: the
// caller's policy waits for the database, not the store's retry of one transaction.
func retryable(error) bool { return false }

// unavailable reports transient errors: the database is there but cannot serve
// now. They are "busy" and "locked" (another connection or process held the lock
// past the busy timeout), I/O failures, a full disk and a file that cannot be
// opened. Everything else, such as syntax errors and violated constraints, is
// permanent.
func unavailable(err error) bool {
	switch primaryCode(err) {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN:
		return true
	}
	return false
}

// primaryCode returns the primary result code of a driver error (its extended
// code's low byte), or 0 for another error.
func primaryCode(err error) int {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return 0
	}
	return e.Code() & 0xff
}
