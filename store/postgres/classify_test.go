package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// refusedConnect is the error pgconn returns when nothing listens on the port.
func refusedConnect(t *testing.T) error {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = pgconn.Connect(ctx, "postgres://postgres@"+addr+"/postgres?sslmode=disable&connect_timeout=2")
	require.Error(t, err)
	return err
}

func TestDriverErrorsAreClassifiedTransientOrPermanent(t *testing.T) {
	pg := func(code string) error { return &pgconn.PgError{Severity: "FATAL", Code: code, Message: "test"} }
	reset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	for _, c := range []struct {
		name               string
		err                error
		transient, retried bool
	}{
		{"connection refused", refusedConnect(t), true, false},
		{"connection reset", reset, true, false},
		{"connection reset by the kernel", fmt.Errorf("write: %w", syscall.ECONNRESET), true, false},
		{"EOF on a broken connection", fmt.Errorf("read: %w", io.EOF), true, false},
		{"unexpected EOF", io.ErrUnexpectedEOF, true, false},
		{"a connection the pool found broken", driver.ErrBadConn, true, false},
		{"08006 connection failure", pg("08006"), true, false},
		{"08001 cannot establish connection", pg("08001"), true, false},
		{"57P01 admin shutdown", pg("57P01"), true, false},
		{"57P02 crash shutdown", pg("57P02"), true, false},
		{"57P03 cannot connect now (starting)", pg("57P03"), true, false},
		{"53300 too many connections", pg("53300"), true, false},
		{"40001 serialisation failure", pg("40001"), false, true},
		{"40P01 deadlock", pg("40P01"), false, true},
		{"42601 syntax error", pg("42601"), false, false},
		{"42P01 undefined table", pg("42P01"), false, false},
		{"23505 unique violation", pg("23505"), false, false},
		{"23514 check violation", pg("23514"), false, false},
		{"57014 query cancelled", pg("57014"), false, false},
		{"no rows", sql.ErrNoRows, false, false},
		{"not found", store.ErrNotFound, false, false},
		{"context cancelled", context.Canceled, false, false},
		{"plain error", errors.New("boom"), false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.transient, unavailable(c.err), "transient (ErrUnavailable): %v", c.err)
			require.Equal(t, c.transient, unavailable(fmt.Errorf("get subject: %w", c.err)), "wrapped: %v", c.err)
			require.Equal(t, c.retried, retryable(c.err), "retried inside the transaction: %v", c.err)
		})
	}
}
