package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/usagekit/usage/store"
)

// connect opens one connection of db, waiting up to BusyTimeout while the file is
// locked; an error that says the database cannot serve now is
// store.ErrUnavailable, as the Store's are. A connection's first statements
// switch a new file to WAL, which needs the file alone. SQLite answers a switch
// that meets another connection's write lock (another process opening the same
// new file, say) with SQLITE_BUSY at once, without its busy handler, since the
// switch began as a read. Once a connection has switched the file, the mode is in
// the file and later connections switch nothing, so only the first one waits here.
func connect(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(BusyTimeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		conn, err := db.Conn(ctx)
		if err == nil {
			return conn.Close()
		}
		if primaryCode(err) != sqlite3.SQLITE_BUSY || time.Now().Add(wait).After(deadline) {
			if unavailable(err) {
				return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
			}
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}
