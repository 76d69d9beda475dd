package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// driverErrors provokes each error of the table from the driver itself, since its
// error type cannot be built outside it.
func driverErrors(t *testing.T) map[string]error {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	dsn := strings.Replace(DSN(filepath.Join(dir, "db")), "busy_timeout%2810000%29", "busy_timeout%2810%29", 1)
	require.Contains(t, dsn, "busy_timeout%2810%29", "a short busy timeout, so the lock test is quick")
	db, err := sql.Open("sqlite", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	holder, err := db.Conn(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { holder.Close() })
	waiter, err := db.Conn(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { waiter.Close() })
	_, err = holder.ExecContext(ctx, "CREATE TABLE t (id INTEGER PRIMARY KEY)")
	require.NoError(t, err)
	_, err = holder.ExecContext(ctx, "INSERT INTO t VALUES (1)")
	require.NoError(t, err)

	errs := map[string]error{}
	_, errs["syntax error"] = holder.ExecContext(ctx, "SELEC 1")
	_, errs["unique violation"] = holder.ExecContext(ctx, "INSERT INTO t VALUES (1)")
	_, errs["no such table"] = holder.ExecContext(ctx, "SELECT * FROM missing")
	errs["no rows"] = holder.QueryRowContext(ctx, "SELECT id FROM t WHERE id = 2").Scan(new(int))

	_, err = holder.ExecContext(ctx, "BEGIN IMMEDIATE")
	require.NoError(t, err)
	_, errs["busy: the write lock held past the busy timeout"] = waiter.ExecContext(ctx, "BEGIN IMMEDIATE")
	_, err = holder.ExecContext(ctx, "ROLLBACK")
	require.NoError(t, err)

	missing, err := sql.Open("sqlite", DSN(filepath.Join(dir, "no", "such", "dir", "db")))
	require.NoError(t, err)
	t.Cleanup(func() { missing.Close() })
	errs["cannot open the file"] = missing.PingContext(ctx)
	for name, err := range errs {
		require.Error(t, err, name)
	}
	return errs
}

func TestDriverErrorsAreClassifiedTransientOrPermanent(t *testing.T) {
	errs := driverErrors(t)
	for _, c := range []struct {
		name               string
		transient, retried bool
	}{
		{"busy: the write lock held past the busy timeout", true, false},
		{"cannot open the file", true, false},
		{"syntax error", false, false},
		{"unique violation", false, false},
		{"no such table", false, false},
		{"no rows", false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := errs[c.name]
			require.Equal(t, c.transient, unavailable(err), "transient (ErrUnavailable): %v", err)
			require.Equal(t, c.transient, unavailable(fmt.Errorf("get subject: %w", err)), "wrapped: %v", err)
			require.Equal(t, c.retried, retryable(err), "retried inside the transaction (never on SQLite): %v", err)
		})
	}
	for _, err := range []error{store.ErrNotFound, context.Canceled, errors.New("boom")} {
		require.False(t, unavailable(err), "not a driver error: %v", err)
	}
}
