package postgres

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"sync"

	"github.com/usagekit/usage/store/internal/sqlstore"
)

// warm opens n connections of db at once and leaves them idle in the pool, so
// that the first requests after Open do not each wait for a server process to
// start and a connection to be set up: with many callers at once, as when a
// service starts under load, those waits were most of the first requests'
// latency. Each connection then runs sqlstore.WarmUp, so that its server process
// has read the catalog entries the first calls need. A connection that cannot be
// opened now is opened when first needed, and one whose warm-up fails is used
// unwarmed, as they would be without this.
func warm(ctx context.Context, db *sql.DB, n int) {
	conns := make([]*sql.Conn, n)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() {
			if c, err := db.Conn(ctx); err == nil {
				conns[i] = c
				_, _ = c.ExecContext(ctx, sqlstore.WarmUp)
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

// dropIdle closes the idle connections of a pool Open made, and lets it keep as
// many as Open set once more (see sqlstore.Dialect.DropIdle), unless err is a call
// that ran out of time: its connection is closed, the others are as they were.
// pgx checks before reuse only a connection idle for longer than a second, so
// after an outage the connections used just before it would each fail a call.
func dropIdle(db *sql.DB, err error) {
	var netErr net.Error
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &netErr) && netErr.Timeout()) {
		return
	}
	db.SetMaxIdleConns(0)
	db.SetMaxIdleConns(MaxOpenConns)
}
