package sqlite_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
	"github.com/usagekit/usage/store/sqlite"
)

// oneEvent is an Ingest of one event of 2 units on an unlimited quota.
func oneEvent(now time.Time) *store.IngestParams {
	return &store.IngestParams{Now: now, Events: []store.IngestEvent{{
		Event: store.Event{Subject: "acme", ID: "e1", Metric: "calls", Value: 2 * store.MicrosPerUnit, Time: now},
		Quota: store.QuotaSpec{PeriodStart: now.AddDate(0, 0, -1), PeriodEnd: now.AddDate(0, 1, 0),
			Aggregation: store.AggregationSum, Unlimited: true},
	}}}
}

// callersDB opens a pool on a new database file at path with the settings DSN
// gives, as a host that passes its own pool to New does; the test closes it.
func callersDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestNewStoresInTheCallersDatabaseAndCloseLeavesItOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "usage.db")
	db := callersDB(t, path)

	st, err := sqlite.New(ctx, db)
	require.NoError(t, err)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	res, err := st.Ingest(ctx, oneEvent(now))
	require.NoError(t, err)
	require.Equal(t, store.StatusInserted, res.Outcomes[0].Status)
	require.NoError(t, st.Close())

	var n int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM usage_events").Scan(&n),
		"the caller's database is still open after Close")
	require.Equal(t, 1, n)

	reopened, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	t.Cleanup(func() { reopened.Close() })
	got, err := reopened.GetQuotas(ctx, &store.GetQuotasParams{Subject: "acme", At: now})
	require.NoError(t, err)
	require.Len(t, got.Quotas, 1, "Open reads what a Store made by New wrote")
	require.Equal(t, int64(2*store.MicrosPerUnit), got.Quotas[0].Used)
}

func TestNewRefusesADatabaseWithoutTheSettingsDSNGives(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "usage.db")
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })

	_, err = sqlite.New(ctx, db)
	require.ErrorContains(t, err, "journal_mode=WAL")
	require.ErrorContains(t, err, "busy_timeout")
	require.ErrorContains(t, err, "sqlite.DSN(path)", "the error says how to fix it")

	var tables int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&tables))
	require.Zero(t, tables, "nothing is migrated into a refused database")
}

func TestNewRefusesAnotherDriver(t *testing.T) {
	db := sql.OpenDB(otherConnector{})
	t.Cleanup(func() { db.Close() })
	_, err := sqlite.New(context.Background(), db)
	require.ErrorContains(t, err, "modernc.org/sqlite driver")
}

// otherConnector is a database/sql driver that is not SQLite's and cannot connect.
type otherConnector struct{}

func (otherConnector) Connect(context.Context) (driver.Conn, error) {
	return nil, errors.New("not a database")
}

func (c otherConnector) Driver() driver.Driver { return otherDriver{} }

type otherDriver struct{}

func (otherDriver) Open(string) (driver.Conn, error) { return nil, errors.New("not a database") }
