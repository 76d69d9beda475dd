package sqlstore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
	"github.com/usagekit/usage/store/internal/sqlstore"
	"github.com/usagekit/usage/store/postgres"
	"github.com/usagekit/usage/store/sqlite"
)

// The checks of this package's SQL run on both backends built on it, through
// testdb.Each; they differ only where the databases' SQL does, in the small
// tables below.

// bunDB is the database under st, a store of either backend, for checks of how the
// store uses it.
func bunDB(t testing.TB, st store.Store) *bun.DB {
	t.Helper()
	var inner store.Store
	switch s := st.(type) {
	case *sqlite.Store:
		inner = s.Store
	case *postgres.Store:
		inner = s.Store
	default:
		t.Fatalf("%T is not a store built on sqlstore", st)
	}
	return inner.(*sqlstore.Store).DB()
}

// The checks' clock and billing period: every event counts in this month.
var (
	now         = time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC)
	periodStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	periodEnd   = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
)

// countedEvent is event n of subject: 1 of metric m now, against an unlimited
// quota of the checks' period.
func countedEvent(subject string, n int) store.IngestEvent {
	return store.IngestEvent{
		Event: store.Event{Subject: subject, ID: fmt.Sprint(n), Metric: "m", Value: 1, Time: now, Fingerprint: "f"},
		Quota: store.QuotaSpec{PeriodStart: periodStart, PeriodEnd: periodEnd, Aggregation: store.AggregationSum, Unlimited: true},
	}
}

// explainPrefix is how each backend asks for the plan of a query, by backend name.
var explainPrefix = map[string]string{
	"sqlite":   "EXPLAIN QUERY PLAN ",
	"postgres": "EXPLAIN ",
}

// explainOf returns explainPrefix for b, failing t for a backend the table lacks.
func explainOf(t testing.TB, b testdb.Backend) string {
	t.Helper()
	p, ok := explainPrefix[b.Name]
	if !ok {
		t.Fatalf("no EXPLAIN form for backend %q", b.Name)
	}
	return p
}
