package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// checkpointEvery is how often a Store copies the pages committed to the WAL into
// the database file, beside its writes (see checkpointer).
const checkpointEvery = 100 * time.Millisecond

// checkpointer copies the pages committed to the WAL into the database file every
// checkpointEvery, on a connection of the pool, until stop. A checkpoint that the
// committing connection runs itself, when the WAL reaches wal_autocheckpoint pages,
// holds that commit, and every write queued behind it, while it copies the pages
// and syncs the file; run here, beside the writes, it leaves that one little to
// copy. It is passive: it waits for no reader or writer, and what they hold is
// left for the next.
type checkpointer struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func startCheckpointer(db *sql.DB) *checkpointer {
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		tick := time.NewTicker(checkpointEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				// One that fails (another process's checkpoint runs, the database
				// is busy or gone) is left to the next, and the writer's own at
				// wal_autocheckpoint pages remains.
				_, _ = db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
			}
		}
	}()
	return c
}

// stop ends the checkpoints and waits for the one running, if any.
func (c *checkpointer) stop() {
	c.cancel()
	<-c.done
}
