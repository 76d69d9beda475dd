package postgres

import (
	"context"
	"database/sql"
	"sync"
)

// warm opens n connections of db at once and leaves them idle in the pool, so
// that the first requests after Open do not each wait for a server process to
// start and a connection to be set up: with many callers at once, as when a
// service starts under load, those waits were most of the first requests'
// latency. A connection that cannot be opened now is opened when first needed,
// as it would be without this.
func warm(ctx context.Context, db *sql.DB, n int) {
	conns := make([]*sql.Conn, n)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() {
			if c, err := db.Conn(ctx); err == nil {
				conns[i] = c
			}
		})
	}
	wg.Wait()
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}
