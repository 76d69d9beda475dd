// Package storetest is the contract of store.Store: one conformance suite that every
// backend runs, checking each behaviour once for all of them — through the Store
// interface and through a usage.Meter on top of it, including several processes
// sharing one database.
//
// A backend runs it from its tests:
//
//	func TestMain(m *testing.M) { storetest.Main(m, harness) }
//	func TestConformance(t *testing.T) { storetest.Exercise(t, harness) }
//
// Main lets the suite re-execute the test binary as a child process that opens the
// same database, for the multi-process tests.
package storetest

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/usagekit/usage/store"
)

// Harness tells the suite how to make and open databases of one backend.
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
	// Goroutines started by Outage itself may run until the test ends; any other
	// must end by restore or when the store closes its connections, since the outage
	// test checks for leaked goroutines after that. Required: the outage tests fail
	// without it.
	Outage func(t testing.TB, location string) (storeLocation string, cut, restore func())
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

// Exercise runs the whole conformance suite against the backend.
func Exercise(t *testing.T, h Harness) {
	t.Run("Store", func(t *testing.T) { exerciseStore(t, h) })
	t.Run("Meter", func(t *testing.T) { exerciseMeter(t, h) })
	t.Run("Processes", func(t *testing.T) { exerciseProcesses(t, h) })
	t.Run("Billing", func(t *testing.T) { exerciseBilling(t, h) })
	t.Run("Anomalies", func(t *testing.T) { exerciseAnomalies(t, h) })
	t.Run("Forecasts", func(t *testing.T) { exerciseForecasts(t, h) })
	t.Run("Instances", func(t *testing.T) { exerciseInstances(t, h) })
	t.Run("Reliability", func(t *testing.T) { exerciseReliability(t, h) })
	t.Run("Upgrades", func(t *testing.T) { exerciseUpgrades(t, h) })
	t.Run("Plans", func(t *testing.T) { exercisePlans(t, h) })
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
