// Package storetest is the contract of store.Store: one conformance suite that every
// backend runs, checking each behaviour once for all of them, through the Store
// interface alone, including several processes sharing one database.
//
// A backend runs it from its tests:
//
//	func TestMain(m *testing.M) { storetest.Main(m, harness) }
//	func TestConformance(t *testing.T) { storetest.Exercise(t, harness) }
//
// Main lets the suite re-execute the test binary as a child process that opens the
// same database, for the multi-process tests.
//
// The suite assumes what package store requires of every backend: times round-trip
// with microsecond precision, and a Store is safe for concurrent use by many
// goroutines and by several processes sharing one database. Where backends may
// differ, the Harness declares it in Features and the suite checks the declared
// behaviour.
//
// Tests of code built on a store (the Meter's end-to-end tests) reuse what the suite
// checks stored events and drives child processes with: StoredEvents, RequireStored,
// RequireUsageIsStoredEvents, Lines, RunAll, RunWorkers, CrashReport and CrashLog.
package storetest

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/usagekit/usage/store"
)

// Harness tells the suite how to make and open databases of one backend, and what
// the backend guarantees where backends differ.
type Harness struct {
	// NewDatabase creates an empty database for one test, registers its removal with
	// t.Cleanup, and returns where it is: a file path, a DSN. It may skip t when the
	// backend is unavailable.
	NewDatabase func(t testing.TB) string
	// Open opens a store on a location from NewDatabase. It is called several times
	// per location, concurrently, and from child processes.
	Open func(ctx context.Context, location string) (store.Store, error)
	// Outage prepares a database from NewDatabase for outage tests. It returns the
	// location to open stores on (it may differ from location, e.g. a proxy's DSN),
	// cut, which makes the database unavailable to those stores until restore is
	// called, and restore. Both are called from the test's goroutine, in turn.
	// Required: the outage tests fail without it.
	Outage func(t testing.TB, location string) (storeLocation string, cut, restore func())
	// Settle waits until the work of child processes killed while they used the
	// database at location can no longer change it: a server may still commit a
	// transaction a killed client had sent in full. Required: the kill tests fail
	// without it; for an embedded database, whose work ends with the process, it
	// returns at once.
	Settle func(t testing.TB, location string)
	// Features declares what the backend guarantees where backends differ.
	Features Features
}

// Features are the behaviours in which backends may differ. The suite checks each as
// declared, so a backend states its model instead of having its tests skipped.
type Features struct {
	// ConcurrentWriters means transactions that write different rows run at once
	// (Postgres locks rows). Without it, write transactions are serialised (SQLite
	// holds one lock on the file): a writer waits for the one in progress, and
	// neither fails for it.
	ConcurrentWriters bool
}

// test is one behaviour of the contract.
type test struct {
	name string
	run  func(t *testing.T, h Harness)
}

// families lists the contract, method family by method family; each family's
// tests are in the file named for it.
func families() [][]test {
	return [][]test{
		openTests,
		ingestTests,
		ingestConcurrencyTests,
		quotasTests,
		plansTests,
		metricsTests,
		correctionsTests,
		billsTests,
		rollupsTests,
		retentionTests,
		leasesTests,
		usageQueryTests,
		anomaliesTests,
		forecastsTests,
		alertsTests,
		deliveriesTests,
		thresholdsTests,
		processesTests,
		outageTests,
	}
}

// Exercise runs the whole conformance suite against the backend.
func Exercise(t *testing.T, h Harness) {
	for _, f := range families() {
		for _, c := range f {
			t.Run(c.name, func(t *testing.T) { c.run(t, h) })
		}
	}
}

// Environment variables that turn a test binary into a child process of the suite.
const (
	envChild    = "USAGE_STORETEST_CHILD"
	envLocation = "USAGE_STORETEST_LOCATION"
)

// Main runs a child process's work when the suite started this binary as one, and
// the tests otherwise. Call it from the backend's TestMain.
func Main(m *testing.M, h Harness) {
	if scenario := os.Getenv(envChild); scenario != "" {
		if err := runChild(scenario, os.Getenv(envLocation), h); err != nil {
			fmt.Fprintln(os.Stderr, "storetest child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// open opens a store on a fresh database and closes it when the test ends.
func open(t testing.TB, h Harness) (store.Store, string) {
	t.Helper()
	loc := h.NewDatabase(t)
	st := openAt(t, h, loc)
	return st, loc
}

func openAt(t testing.TB, h Harness, loc string) store.Store {
	t.Helper()
	st, err := h.Open(context.Background(), loc)
	if err != nil {
		t.Fatalf("open %s: %v", loc, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
