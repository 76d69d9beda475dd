package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/store"
	"github.com/usagekit/usage/store/postgres"
	"github.com/usagekit/usage/store/sqlite"
)

// defaultDSN is the Postgres server used when -dsn is not given.
const defaultDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// openFresh opens an empty store of the named kind for one run and returns a
// function that closes it and removes what the run created: a temporary SQLite file,
// or a schema of its own on the Postgres server. opts are the store's settings.
func openFresh(ctx context.Context, kind, dsn string, opts ...store.Option) (store.Store, func(), error) {
	st, _, cleanup, err := openFreshSQL(ctx, kind, dsn, opts...)
	return st, cleanup, err
}

// openFreshSQL is openFresh that also returns a connection of its own to the
// store's database, for measurements that read the tables directly; cleanup closes
// it too.
func openFreshSQL(ctx context.Context, kind, dsn string, opts ...store.Option) (store.Store, *sql.DB, func(), error) {
	st, location, cleanup, err := openFreshAt(ctx, kind, dsn, opts...)
	if err != nil {
		return nil, nil, nil, err
	}
	driver := map[string]string{"sqlite": "sqlite", "postgres": "pgx"}[kind]
	if kind == "sqlite" {
		location = sqlite.DSN(location)
	}
	raw, err := sql.Open(driver, location)
	if err != nil {
		cleanup()
		return nil, nil, nil, err
	}
	return st, raw, func() { raw.Close(); cleanup() }, nil
}

// openFreshAt is openFresh that also returns where the database is: the SQLite
// file, or the Postgres DSN whose search_path is the run's schema.
func openFreshAt(ctx context.Context, kind, dsn string, opts ...store.Option) (store.Store, string, func(), error) {
	switch kind {
	case "sqlite":
		dir, err := os.MkdirTemp("", "usagebench")
		if err != nil {
			return nil, "", nil, err
		}
		path := filepath.Join(dir, "bench.db")
		st, err := sqlite.Open(ctx, path, opts...)
		if err != nil {
			os.RemoveAll(dir)
			return nil, "", nil, err
		}
		return st, path, func() { st.Close(); os.RemoveAll(dir) }, nil
	case "postgres":
		if dsn == "" {
			dsn = defaultDSN
		}
		var b [6]byte
		_, _ = rand.Read(b[:])
		schema := "usagebench_" + hex.EncodeToString(b[:])
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, "", nil, err
		}
		if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
			admin.Close()
			return nil, "", nil, fmt.Errorf("create schema: %w", err)
		}
		drop := func() {
			admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			admin.Close()
		}
		u, err := url.Parse(dsn)
		if err != nil {
			drop()
			return nil, "", nil, fmt.Errorf("-dsn must be a postgres:// URL: %w", err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		st, err := postgres.Open(ctx, u.String(), opts...)
		if err != nil {
			drop()
			return nil, "", nil, err
		}
		return st, u.String(), func() { st.Close(); drop() }, nil
	default:
		return nil, "", nil, fmt.Errorf("unknown store %q: want sqlite or postgres", kind)
	}
}

// openExampleMeter opens a fresh store and a Meter on it with the example catalog,
// subjects on plan by default, and tracks value api_calls for subject acme, so that
// its quota is in the Meter's memory. close closes both.
func openExampleMeter(ctx context.Context, kind, dsn, plan string, value float64) (m *usage.Meter, close func(), err error) {
	st, cleanup, err := openFresh(ctx, kind, dsn)
	if err != nil {
		return nil, nil, err
	}
	m, err = usage.New(st, &usage.Config{Metrics: usage.ExampleMetrics(), Plans: usage.ExamplePlans(), DefaultPlan: plan})
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	close = func() {
		m.Close(ctx)
		cleanup()
	}
	if _, err := m.Track(ctx, usage.Event{Subject: "acme", Metric: usage.MetricAPICalls, Value: value}); err != nil {
		close()
		return nil, nil, err
	}
	return m, close, nil
}
