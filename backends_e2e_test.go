package usage_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
)

// unit is one unit of a metric in the store's micro-units.
const unit = store.MicrosPerUnit

// creditLimit is the limit of the "strict" plan's credits: no overage.
const creditLimit = 1000

// e2eConfig is the Meter configuration of the end-to-end tests: the example catalog,
// plus a "strict" plan (the default) whose credits allow no overage.
func e2eConfig(clock func() time.Time) *usage.Config {
	return &usage.Config{
		Metrics: append(usage.ExampleMetrics(), usage.Metric{Key: "credits", Unit: "credits"}),
		Plans: append(usage.ExamplePlans(), usage.Plan{Key: "strict", Name: "Strict",
			Limits: map[string]usage.Limit{"credits": {Included: creditLimit}}}),
		DefaultPlan: "strict",
		Test:        usage.TestConfig{Time: clock},
	}
}

// clock is a settable time for tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// testMeter is a Meter with e2eConfig on a fresh database, and what the tests need
// beside it: its store, to check what was stored, its clock, and where the database
// is, to open more stores on it.
type testMeter struct {
	db    testdb.Backend
	st    store.Store
	meter *usage.Meter
	clock *clock
	loc   string
}

// newMeter opens a testMeter on a fresh database of db, closed when the test ends.
func newMeter(t *testing.T, db testdb.Backend) *testMeter {
	t.Helper()
	st, loc := db.OpenNew(t)
	c := &clock{now: time.Now()}
	m, err := usage.New(st, e2eConfig(c.Now))
	require.NoError(t, err)
	t.Cleanup(func() { m.Close(context.Background()) })
	return &testMeter{db: db, st: st, meter: m, clock: c, loc: loc}
}

// instance opens another Meter, with cfg, on tm's store, as another instance of the
// application would; it is closed when the test ends.
func (tm *testMeter) instance(t *testing.T, cfg *usage.Config) *usage.Meter {
	t.Helper()
	m, err := usage.New(tm.st, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { m.Close(context.Background()) })
	return m
}

// eachBackend runs test once per backend, the backends side by side and beside the
// other parallel tests.
func eachBackend(t *testing.T, test func(t *testing.T, db testdb.Backend)) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		t.Parallel()
		test(t, db)
	})
}

// eachMeter runs test as eachBackend does, with a testMeter on a fresh database of
// each backend.
func eachMeter(t *testing.T, test func(t *testing.T, b *testMeter)) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) { test(t, newMeter(t, db)) })
}

// track records events and fails the test on any refusal.
func track(t *testing.T, m *usage.Meter, events ...usage.Event) {
	t.Helper()
	res, err := m.TrackBatch(context.Background(), events)
	require.NoError(t, err)
	for i, r := range res {
		require.NoError(t, r.Err, "event %d", i)
	}
}

// listEvents returns every stored event of subject.
func listEvents(t *testing.T, st store.Store, subject string) []store.Event {
	t.Helper()
	res, err := st.ListEvents(context.Background(), &store.ListEventsParams{Subject: subject, Limit: 100000})
	require.NoError(t, err)
	return res.Events
}

// storedQuota returns the stored quota of subject's metric in the period of the
// Meter's clock.
func storedQuota(t *testing.T, tm *testMeter, subject, metric string) store.Quota {
	t.Helper()
	res, err := tm.st.GetQuotas(context.Background(), &store.GetQuotasParams{Subject: subject, Metrics: []string{metric}, At: tm.clock.Now()})
	require.NoError(t, err)
	require.Len(t, res.Quotas, 1)
	return res.Quotas[0]
}
