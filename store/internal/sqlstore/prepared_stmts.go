package sqlstore

import (
	"context"
	"database/sql"
	"errors"
)

// maxPrepared is the most statements a connection keeps prepared. Ingest's kinds of
// statement, each in the few chunk sizes execPrepared uses, come to far fewer.
const maxPrepared = 128

// preparedStmts holds the statements prepared on one connection, kept from one
// write to the next for as long as the connection is: a write of a few rows spent
// more on parsing its statements than on running them. Past maxPrepared, a
// statement is prepared for one call alone (see endCall). Only the writer holding
// the connection may use it.
type preparedStmts struct {
	conn  *sql.Conn
	kept  map[preparedKey]*sql.Stmt
	once  []*sql.Stmt
	limit int
}

func newPreparedStmts(conn *sql.Conn, limit int) *preparedStmts {
	return &preparedStmts{conn: conn, kept: map[preparedKey]*sql.Stmt{}, limit: limit}
}

// get returns the statement of key, prepared on the connection.
func (p *preparedStmts) get(ctx context.Context, key preparedKey) (*sql.Stmt, error) {
	if stmt := p.kept[key]; stmt != nil {
		return stmt, nil
	}
	// Through the connection, not bun's formatting, the placeholders reach the
	// driver.
	stmt, err := p.conn.PrepareContext(ctx, key.sql())
	if err != nil {
		return nil, err
	}
	if len(p.kept) < p.limit {
		p.kept[key] = stmt
	} else {
		p.once = append(p.once, stmt)
	}
	return stmt, nil
}

// endCall closes the statements prepared for one call alone.
func (p *preparedStmts) endCall() error {
	var errs []error
	for _, stmt := range p.once {
		errs = append(errs, stmt.Close())
	}
	p.once = p.once[:0]
	return errors.Join(errs...)
}

// close closes every statement, before the connection goes back to the pool.
func (p *preparedStmts) close() error {
	errs := []error{p.endCall()}
	for key, stmt := range p.kept {
		errs = append(errs, stmt.Close())
		delete(p.kept, key)
	}
	return errors.Join(errs...)
}
