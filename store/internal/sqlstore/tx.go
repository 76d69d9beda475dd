package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

const (
	retryBaseDelay = 2 * time.Millisecond
	retryMaxDelay  = 500 * time.Millisecond
)

// inTx runs fn in a transaction and commits it, running it again after retryable
// failures (deadlock, serialisation failure, busy database) with capped exponential
// backoff and jitter, for as long as ctx allows.
func (s *Store) inTx(ctx context.Context, fn func(context.Context, bun.Tx) error) error {
	return s.runTx(ctx, s.db, fn)
}

// runTx is inTx on db, the pool or one connection of it.
func (s *Store) runTx(ctx context.Context, db bun.IDB, fn func(context.Context, bun.Tx) error) error {
	delay := retryBaseDelay
	for {
		err := db.RunInTx(ctx, nil, fn)
		if err != nil && s.dialect.Unavailable(err) {
			return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
		}
		if err == nil || !s.dialect.Retryable(err) {
			return err
		}
		// Full jitter: sleep a random time up to delay, so racing writers spread out.
		timer := time.NewTimer(rand.N(delay) + time.Microsecond)
		select {
		case <-ctx.Done():
			timer.Stop()
			return errors.Join(ctx.Err(), err)
		case <-timer.C:
		}
		delay = min(2*delay, retryMaxDelay)
	}
}

// inWriteTx is inTx for transactions that write. On backends that serialise writers
// it queues this process's writers first, for as long as ctx allows.
func (s *Store) inWriteTx(ctx context.Context, fn func(context.Context, bun.Tx) error) error {
	return s.inWriteConnTx(ctx, func(ctx context.Context, _ *sql.Conn, tx bun.Tx) error { return fn(ctx, tx) })
}

// inWriteConnTx is inWriteTx on a connection of its own, which fn also gets, for
// what only the driver's connection can do (Dialect.CopyRows).
func (s *Store) inWriteConnTx(ctx context.Context, fn func(context.Context, *sql.Conn, bun.Tx) error) error {
	if !s.dialect.Capabilities.ConcurrentWriters {
		select {
		case s.writeSlot <- struct{}{}:
			defer func() { <-s.writeSlot }()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		if s.dialect.Unavailable(err) {
			return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
		}
		return err
	}
	defer conn.Close()
	return s.runTx(ctx, conn, func(ctx context.Context, tx bun.Tx) error { return fn(ctx, conn.Conn, tx) })
}
