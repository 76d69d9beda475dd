package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/uptrace/bun"
)

const (
	retryBaseDelay = 2 * time.Millisecond
	retryMaxDelay  = 500 * time.Millisecond
)

// inTx runs fn in a transaction and commits it, running it again after retryable
// failures (deadlock, serialisation failure) with capped exponential
// backoff and jitter, for as long as ctx allows.
func (s *engine) inTx(ctx context.Context, fn func(context.Context, bun.Tx) error) error {
	return s.runTx(ctx, s.db, fn)
}

// runTx is inTx on db, the pool or one connection of it.
func (s *engine) runTx(ctx context.Context, db bun.IDB, fn func(context.Context, bun.Tx) error) error {
	return s.retry(ctx, func() error { return db.RunInTx(ctx, nil, fn) })
}

// retry runs attempt, a whole transaction, again after failures the dialect calls
// Retryable (a conflict with another transaction: deadlock, serialisation failure),
// with capped exponential backoff and full jitter, for as long as ctx allows. It is
// the store's own retry, of conflicts inside one method call. A transient failure
// (Dialect.Unavailable, which includes a SQLite lock held past the busy timeout) is
// returned at once, as store.ErrUnavailable (see classify): whether and when to call
// again is the caller's policy.
func (s *engine) retry(ctx context.Context, attempt func() error) error {
	delay := retryBaseDelay
	for {
		err := attempt()
		if err == nil || s.dialect.Unavailable(err) || !s.dialect.Retryable(err) {
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
func (s *engine) inWriteTx(ctx context.Context, fn func(context.Context, bun.Tx) error) error {
	return s.withWriteConn(ctx, func(w *writerConn) error {
		// A write other than Ingest's may change quota rows Ingest remembers, on
		// the connection whose data version shows only other connections' writes.
		s.sight.Add(1)
		return s.runTx(ctx, w.conn, fn)
	})
}

// inIngestTx is inWriteTx for Ingest, whose fn gets its connection too, for what only
// the driver's connection can do (Dialect.CopyRows). Where the dialect pipelines
// transactions (Dialect.InTransaction is set), fn's first query opens the transaction
// and its last statements commit it (see ingestTx); if fn fails, the transaction is
// rolled back. Once the transaction has committed, committed runs, before another
// write can take the connection.
func (s *engine) inIngestTx(ctx context.Context, fn func(context.Context, *ingestTx) error, committed func()) error {
	return s.withWriteConn(ctx, func(w *writerConn) error {
		conn := w.conn
		var err error
		if s.dialect.InTransaction == nil {
			err = s.runTx(ctx, conn, func(ctx context.Context, tx bun.Tx) error {
				sight, err := s.look(ctx, w, tx)
				if err != nil {
					return err
				}
				return fn(ctx, &ingestTx{conn: conn.Conn, db: tx, prepared: w.prepared, sight: sight})
			})
		} else {
			err = s.retry(ctx, func() error {
				t := &ingestTx{conn: conn.Conn, db: conn, prepared: w.prepared, pipelined: true}
				err := fn(ctx, t)
				if err == nil && s.dialect.InTransaction(conn.Conn) {
					err = errors.New("sqlstore: ingest left its transaction open")
				}
				if err != nil {
					rollback(ctx, conn)
				}
				return err
			})
		}
		if err == nil {
			committed()
		}
		return err
	})
}

// look returns, inside tx, a transaction on w that holds the database's write lock,
// the count of s.sight under which the quota rows this store remembers are as it
// left them, having counted a loss of sight if another connection has written to
// the database since w last looked, or w has not looked before; zero where the
// dialect cannot tell (Dialect.DataVersion is empty).
func (s *engine) look(ctx context.Context, w *writerConn, tx bun.Tx) (uint64, error) {
	if s.dialect.DataVersion == "" {
		return 0, nil
	}
	var version int64
	if err := tx.QueryRowContext(ctx, s.dialect.DataVersion).Scan(&version); err != nil {
		return 0, fmt.Errorf("read the data version: %w", err)
	}
	if !w.looked || version != w.dataVersion {
		s.sight.Add(1)
		w.dataVersion, w.looked = version, true
	}
	return s.sight.Load(), nil
}

// rollback ends the transaction a pipelined attempt left open. Where it cannot (ctx
// has ended, or the connection is broken) it closes the connection instead, and the
// server ends the transaction with the session: a connection back in the pool must
// not hold quota row locks until it is next used.
func rollback(ctx context.Context, conn bun.Conn) {
	if ctx.Err() == nil {
		if _, err := conn.ExecContext(ctx, "ROLLBACK"); err == nil {
			return
		}
	}
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}

// withWriteConn runs fn on a connection for a write. Where the backend serialises
// writers (SQLite), this process's writes take turns on one connection kept for
// them, with the statements prepared on it: its page cache stays warm and its
// schema parsed from one transaction to the next, where the pool would hand each
// write whichever connection it had, or a new one. After a failed write the
// connection goes back to the pool and the next write takes another. Where writers
// run concurrently, fn gets a connection of the pool and prepared statements of
// its own.
func (s *engine) withWriteConn(ctx context.Context, fn func(*writerConn) error) error {
	if s.dialect.Capabilities.ConcurrentWriters {
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return err
		}
		w := &writerConn{conn: conn, prepared: newPreparedStmts(conn.Conn, 0)}
		defer w.close()
		return fn(w)
	}
	var w *writerConn
	select {
	case w = <-s.writer:
	case <-ctx.Done():
		return ctx.Err()
	}
	if w == nil {
		c, err := s.db.Conn(ctx)
		if err != nil {
			s.writer <- nil
			return err
		}
		w = &writerConn{conn: c, prepared: newPreparedStmts(c.Conn, maxPrepared)}
	}
	err := fn(w)
	if err != nil {
		w.close()
		w = nil
	}
	s.writer <- w
	return err
}

// writerConn is the connection this process's writes share where the backend
// serialises writers, with the statements prepared on it.
type writerConn struct {
	conn     bun.Conn
	prepared *preparedStmts
	// dataVersion is the database's data version (Dialect.DataVersion) as the
	// last ingest transaction on conn found it, if looked is set.
	dataVersion int64
	looked      bool
}

// close gives the connection back to the pool, its statements closed first.
func (w *writerConn) close() {
	_ = w.prepared.close()
	_ = w.conn.Close()
}

// releaseWriter gives the writers' connection back to the pool, once the write
// holding it, if any, is done.
func (s *engine) releaseWriter() {
	if w := <-s.writer; w != nil {
		w.close()
	}
	s.writer <- nil
}

// ingestTx is where one attempt of Ingest runs: a connection of its own, and on it
// a transaction, which is either begun already (db is its bun.Tx) or pipelined:
// begun by the attempt's first query and committed by its last statements, to save
// the round trips of BEGIN and COMMIT (db is the connection's bun.Conn). A BEGIN
// sent after the first query, in the same message, opens the transaction: Postgres
// runs the statements of one message in an implicit transaction, and a BEGIN among
// them turns it into a regular one that includes the statements before it. Every
// attempt locks or writes its quota rows before anything else it writes, so the
// first statement that writes opens the transaction: the lock, the creation of the
// quota rows it found missing before, or the write of the rows it remembers
// (compareAndSetQuotas). Reads before that run alone: what they read of a quota
// is decided on only if its row, locked or compared when written, is unchanged.
type ingestTx struct {
	conn *sql.Conn
	// prepared holds the statements prepared on conn (see execPrepared).
	prepared  *preparedStmts
	db        bun.IDB
	pipelined bool
	begun     bool
	// sight is the count of engine.sight under which the quota rows the store
	// remembers are as it left them (see look); zero: none is.
	sight uint64
	// version is the version of the rows the transaction writes, and rowVersions
	// those of the quota rows it read and locked, where the database keeps row
	// versions (see RowVersion); zero and nil until a statement returned them.
	version     int64
	rowVersions map[string]int64
}

// query runs q, a query of t.db, and returns its rows; on a pipelined transaction
// the first query also opens the transaction. Its text goes to the driver as it
// is: q has its arguments in it.
func (t *ingestTx) query(ctx context.Context, q *bun.SelectQuery) (*sql.Rows, error) {
	if !t.pipelined || t.begun {
		return t.db.QueryContext(ctx, q.String())
	}
	rows, err := t.conn.QueryContext(ctx, q.String()+";\nBEGIN")
	if err != nil {
		return nil, err
	}
	t.begun = true
	return rows, nil
}

// execCount runs stmt, a statement without arguments, in t and returns the number
// of rows it changed; on a pipelined transaction the first statement also opens
// the transaction.
func (t *ingestTx) execCount(ctx context.Context, stmt string) (int64, error) {
	var res sql.Result
	var err error
	if !t.pipelined || t.begun {
		res, err = t.db.ExecContext(ctx, stmt)
	} else {
		// The count a message returns is its last statement's.
		res, err = t.conn.ExecContext(ctx, "BEGIN;\n"+stmt)
		t.begun = err == nil
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// copyRows writes n rows into table in t with the backend's bulk load
// (Dialect.CopyRows); on a pipelined transaction, as its first statement, it also
// opens the transaction.
func (s *engine) copyRows(ctx context.Context, t *ingestTx, table string, columns []string, n int, row func(int, RowWriter)) error {
	var before []string
	if t.pipelined && !t.begun {
		before = []string{"BEGIN"}
	}
	if err := s.dialect.CopyRows(ctx, t.conn, before, nil, table, columns, n, row); err != nil {
		return err
	}
	t.begun = true
	return nil
}

// commit returns the statements that end the transaction when they run after the
// attempt's writes: a pipelined transaction's COMMIT; none where the transaction is
// committed afterwards.
func (t *ingestTx) commit() []string {
	if !t.pipelined {
		return nil
	}
	return []string{"COMMIT"}
}
