package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
)

// maxPrepared is the most statements a connection keeps prepared. Ingest's kinds of
// statement, each in the few chunk sizes execPrepared uses, come to far fewer.
const maxPrepared = 128

// preparedStmts holds the statements prepared on one connection, kept from one
// write to the next for as long as the connection is: a write of a few rows spent
// more on parsing its statements than on running them. Past maxPrepared, a
// statement is prepared for one call alone (see endCall). Only the writer holding
// the connection may use it.
//
// The statements are the driver's, run through sql.Conn.Raw with arguments in a
// slice kept from one run to the next: database/sql would copy every argument
// into a new slice of its own for each run, the largest allocation of a batch's
// writes.
type preparedStmts struct {
	conn  *sql.Conn
	kept  map[preparedKey]stmt
	once  []stmt
	limit int
	// args holds the arguments of the statement being run.
	args []driver.NamedValue
}

// stmt is a driver's statement that runs with a context.
type stmt interface {
	driver.Stmt
	driver.StmtExecContext
}

// newPreparedStmts returns the statements of conn, none prepared yet; the map of
// kept ones is made when the first is kept, so a write that keeps none (every write
// on Postgres, whose limit is 0) allocates none.
func newPreparedStmts(conn *sql.Conn, limit int) *preparedStmts {
	return &preparedStmts{conn: conn, limit: limit}
}

// Text, Int and Bool append an argument: a preparedStmts is the RowWriter of the
// rows it runs.
func (p *preparedStmts) Text(s string) { p.arg(s) }
func (p *preparedStmts) Int(v int64)   { p.arg(v) }
func (p *preparedStmts) Bool(v bool)   { p.arg(v) }

func (p *preparedStmts) arg(v driver.Value) {
	p.args = append(p.args, driver.NamedValue{Ordinal: len(p.args) + 1, Value: v})
}

// run calls f with the driver's connection, which f may prepare on and run with.
func (p *preparedStmts) run(f func(conn driver.ConnPrepareContext) error) error {
	return p.conn.Raw(func(dc any) error {
		conn, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return fmt.Errorf("sqlstore: the driver's connection %T cannot prepare with a context", dc)
		}
		return f(conn)
	})
}

// exec runs the statement of key on conn with the arguments written since the last
// run, and returns the number of rows it changed.
func (p *preparedStmts) exec(ctx context.Context, conn driver.ConnPrepareContext, key preparedKey) (int64, error) {
	defer func() { clear(p.args); p.args = p.args[:0] }()
	st, err := p.get(ctx, conn, key)
	if err != nil {
		return 0, err
	}
	res, err := st.ExecContext(ctx, p.args)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// get returns the statement of key, prepared on conn.
func (p *preparedStmts) get(ctx context.Context, conn driver.ConnPrepareContext, key preparedKey) (stmt, error) {
	if st := p.kept[key]; st != nil {
		return st, nil
	}
	prepared, err := conn.PrepareContext(ctx, key.sql())
	if err != nil {
		return nil, err
	}
	st, ok := prepared.(stmt)
	if !ok {
		return nil, errors.Join(fmt.Errorf("sqlstore: the driver's statement %T cannot run with a context", prepared), prepared.Close())
	}
	if len(p.kept) < p.limit {
		if p.kept == nil {
			p.kept = map[preparedKey]stmt{}
		}
		p.kept[key] = st
	} else {
		p.once = append(p.once, st)
	}
	return st, nil
}

// endCall closes the statements prepared for one call alone.
func (p *preparedStmts) endCall() error {
	if len(p.once) == 0 {
		return nil
	}
	return p.run(func(driver.ConnPrepareContext) error {
		var errs []error
		for _, st := range p.once {
			errs = append(errs, st.Close())
		}
		p.once = p.once[:0]
		return errors.Join(errs...)
	})
}

// close closes every statement, before the connection goes back to the pool.
func (p *preparedStmts) close() error {
	err := p.endCall()
	if len(p.kept) == 0 {
		return err
	}
	return errors.Join(err, p.run(func(driver.ConnPrepareContext) error {
		var errs []error
		for key, st := range p.kept {
			errs = append(errs, st.Close())
			delete(p.kept, key)
		}
		return errors.Join(errs...)
	}))
}
