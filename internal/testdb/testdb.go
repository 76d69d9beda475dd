// Package testdb opens each store backend for tests: a fresh database per test,
// stores on it, and a way to make it unavailable. The root package's end-to-end
// tests run every check on each backend through it, so that a behaviour of the Meter
// holds on SQLite and on Postgres alike.
//
// SQLite needs nothing: its databases are files under t.TempDir(). Postgres needs a
// server: USAGE_TEST_POSTGRES_DSN, else one on 127.0.0.1:5432. Without one the
// Postgres tests are skipped with a loud message, except when CI=true, where they
// fail. NewCluster starts a throwaway Postgres server of a test's own, for tests
// that restart or kill it.
package testdb

import (
	"context"
	"testing"

	"github.com/usagekit/usage/store"
)

// Backend makes and opens databases of one store implementation.
type Backend struct {
	// Name is the backend's name, and the name of its subtest in Each.
	Name string
	// NewDatabase creates an empty database for one test, registers its removal
	// with t.Cleanup, and returns where it is: a file path, a DSN. It skips t, or
	// fails it in CI, when the backend's server is unavailable.
	NewDatabase func(t testing.TB) string
	// Open opens a store on a location from NewDatabase, with the settings opts
	// give. It may be called several times per location, concurrently, and from
	// child processes.
	Open func(ctx context.Context, location string, opts ...store.Option) (store.Store, error)
	// Outage prepares a database from NewDatabase for outage tests. It returns the
	// location to open stores on (it may differ from location, e.g. a proxy's DSN),
	// cut, which makes the database unavailable to those stores until restore is
	// called, and restore. Both are called from the test's goroutine, in turn.
	// Goroutines started by Outage itself may run until the test ends; the others
	// end by restore or when the stores close their connections.
	Outage func(t testing.TB, location string) (storeLocation string, cut, restore func())
	// Settle waits until the work of killed child processes on the database at
	// location can no longer change it: a server may still commit what a killed
	// client had sent.
	Settle func(t testing.TB, location string)
}

// Backends returns every backend, SQLite first.
func Backends() []Backend { return []Backend{SQLite(), Postgres()} }

// Lookup returns the backend called name, for a child process told which one its
// parent tests.
func Lookup(name string) (Backend, bool) {
	for _, b := range Backends() {
		if b.Name == name {
			return b, true
		}
	}
	return Backend{}, false
}

// Each runs test once per backend, each in a subtest named for the backend. The
// subtests run in turn unless test calls t.Parallel.
func Each(t *testing.T, test func(t *testing.T, b Backend)) {
	t.Helper()
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) { test(t, b) })
	}
}

// OpenWithDefaults opens a store on location with the default settings, as a
// storetest.Harness opens one.
func (b Backend) OpenWithDefaults(ctx context.Context, location string) (store.Store, error) {
	return b.Open(ctx, location)
}

// OpenNew opens a store on a fresh database and closes it when the test ends. It
// returns the store and the database's location, for opening more stores on it.
func (b Backend) OpenNew(t testing.TB) (store.Store, string) {
	t.Helper()
	loc := b.NewDatabase(t)
	return b.OpenAt(t, loc), loc
}

// OpenAt opens a store on location, with the settings opts give, and closes it
// when the test ends.
func (b Backend) OpenAt(t testing.TB, location string, opts ...store.Option) store.Store {
	t.Helper()
	st, err := b.Open(context.Background(), location, opts...)
	if err != nil {
		t.Fatalf("open %s store at %s: %v", b.Name, location, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
