package usage_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
	"github.com/usagekit/usage/store/postgres"
	"github.com/usagekit/usage/store/sqlite"
	"github.com/usagekit/usage/store/storetest"
)

// Shape of the restart drills: many callers tracking, and now and then checking a
// quota, while the database goes away and comes back.
const (
	drillWorkers = 32
	// Most callers wait drillPatience for a call; every fourth one only
	// drillImpatience, so that some calls fail during the outages.
	drillPatience   = 3 * time.Second
	drillImpatience = 300 * time.Millisecond
	// Each worker moves to a new subject after drillSubjectCalls calls, and after
	// each disruption, so new subjects' plans are looked up while the database is
	// away.
	drillSubjectCalls = 20
	// drillValue is each event's credits: the strict plan's limit (creditLimit,
	// without overage) refuses the eleventh event of a subject.
	drillValue = 100
	// drillSettle is how long the callers run before, between and after the
	// disruptions.
	drillSettle = 1500 * time.Millisecond
	// drillAssignmentTTL makes cached plan assignments expire during the outages.
	drillAssignmentTTL = 200 * time.Millisecond
)

// drill is what the callers of a restart drill saw.
type drill struct {
	m     *usage.Meter
	stop  atomic.Bool
	epoch atomic.Int64 // bumped at each disruption: callers move to new subjects

	calls, failures atomic.Int64
	maxBlock        atomic.Int64 // the longest call, in nanoseconds

	mu        sync.Mutex
	subjects  map[string]bool
	attempted map[storetest.EventKey]bool
	acked     map[storetest.EventKey]bool
	refused   map[string]bool // subjects with a Track refused by their quota
	wrong     []error         // failures that are not ErrUnavailable after the deadline
}

// TestEveryCallSurvivesAPostgresRestartAndAnImmediateStop runs the drill against a
// throwaway Postgres cluster that is restarted (fast shutdown) and later stopped
// immediately (as by a crash) and started again.
func TestEveryCallSurvivesAPostgresRestartAndAnImmediateStop(t *testing.T) {
	cluster := testdb.NewCluster(t)
	ctx := context.Background()
	st, err := postgres.Open(ctx, cluster.DSN())
	require.NoError(t, err)
	defer st.Close()
	runDrill(t, st, func(d *drill) {
		cluster.Restart("fast")
		d.epoch.Add(1)
		time.Sleep(drillSettle)
		cluster.Stop("immediate")
		d.epoch.Add(1)
		time.Sleep(drillSettle)
		cluster.Start()
	})
}

// TestEveryCallSurvivesASQLiteWriteLockHeldPastTheBusyTimeout runs the drill on a
// SQLite file whose write lock another connection holds, twice, for several busy
// timeouts.
func TestEveryCallSurvivesASQLiteWriteLockHeldPastTheBusyTimeout(t *testing.T) {
	const busyTimeout = 100 * time.Millisecond
	path := filepath.Join(t.TempDir(), "usage.db")
	dsn := sqlite.DSN(path)
	short := strings.Replace(dsn, fmt.Sprintf("busy_timeout%%28%d%%29", sqlite.BusyTimeout.Milliseconds()),
		fmt.Sprintf("busy_timeout%%28%d%%29", busyTimeout.Milliseconds()), 1)
	require.NotEqual(t, dsn, short, "the DSN's busy timeout is shortened")
	db, err := sql.Open("sqlite", short)
	require.NoError(t, err)
	defer db.Close()
	ctx := context.Background()
	st, err := sqlite.New(ctx, db)
	require.NoError(t, err)
	_, lock, release := testdb.SQLite().Outage(t, path)
	runDrill(t, st, func(d *drill) {
		for range 2 {
			lock()
			d.epoch.Add(1)
			time.Sleep(drillSettle)
			release()
			time.Sleep(drillSettle)
		}
	})
}

// runDrill runs the callers on st while disrupt disrupts the database, then checks
// that every failure was ErrUnavailable after the caller's deadline, and that
// nothing acknowledged was lost, nothing stored twice and every limit held exactly.
func runDrill(t *testing.T, st store.Store, disrupt func(*drill)) {
	ctx := context.Background()
	cfg := e2eConfig(time.Now)
	cfg.Logger = slog.New(slog.DiscardHandler) // retry warnings by the hundred
	cfg.AssignmentTTL = drillAssignmentTTL
	cfg.StrictQuotaCheck = true // every CheckQuota reads the database
	m, err := usage.New(st, cfg)
	require.NoError(t, err)
	d := &drill{m: m, subjects: map[string]bool{}, attempted: map[storetest.EventKey]bool{},
		acked: map[storetest.EventKey]bool{}, refused: map[string]bool{}}
	var wg sync.WaitGroup
	for w := range drillWorkers {
		wg.Go(func() { d.work(w) })
	}
	time.Sleep(drillSettle)
	disrupt(d)
	time.Sleep(drillSettle)
	d.stop.Store(true)
	wg.Wait()
	closeCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	require.NoError(t, m.Close(closeCtx), "Close returns once the database is back")

	require.Empty(t, d.wrong[:min(len(d.wrong), 10)], "%d calls failed otherwise than with ErrUnavailable after their deadline (at most 10 shown)", len(d.wrong))
	t.Logf("%d calls, %d failed with ErrUnavailable after their deadline, the longest blocked %v; %d events acknowledged, %d subjects",
		d.calls.Load(), d.failures.Load(), time.Duration(d.maxBlock.Load()).Round(time.Millisecond), len(d.acked), len(d.subjects))
	require.NotZero(t, d.failures.Load(), "impatient callers gave up during the outages")

	subjects := make([]string, 0, len(d.subjects))
	for s := range d.subjects {
		subjects = append(subjects, s)
	}
	stored := storetest.StoredEvents(t, st, subjects...) // fails on an event stored twice
	storetest.RequireStored(t, d.acked, stored)
	used := map[string]int64{}
	for k, e := range stored {
		require.True(t, d.attempted[k], "stored event %s of %s was tracked", k.ID, k.Subject)
		used[k.Subject] += e.Value
	}
	for _, s := range subjects {
		res, err := st.GetQuotas(ctx, &store.GetQuotasParams{Subject: s, Metrics: []string{"credits"}, At: time.Now()})
		require.NoError(t, err)
		if used[s] == 0 {
			continue
		}
		require.Len(t, res.Quotas, 1)
		q := res.Quotas[0]
		require.Equal(t, used[s], q.Used, "quota of %s is the sum of its stored events, each counted once", s)
		require.LessOrEqual(t, q.Used, q.Limit, "quota of %s holds its limit", s)
		if d.refused[s] {
			require.Equal(t, q.Limit, q.Used, "%s was refused only at its limit", s)
		}
	}
}

// work is one caller: it tracks events, and every eighth call checks the quota,
// until the drill stops.
func (d *drill) work(w int) {
	patience := drillPatience
	if w%4 == 3 {
		patience = drillImpatience
	}
	for i := 0; !d.stop.Load(); i++ {
		subject := fmt.Sprintf("w%d-e%d-s%d", w, d.epoch.Load(), i/drillSubjectCalls)
		ev := usage.Event{ID: fmt.Sprint(i), Subject: subject, Metric: "credits", Value: drillValue}
		k := storetest.EventKey{Subject: subject, ID: ev.ID}
		d.mu.Lock()
		d.subjects[subject], d.attempted[k] = true, true
		d.mu.Unlock()
		d.call(patience, "track", func(ctx context.Context) error {
			_, err := d.m.Track(ctx, ev)
			d.mu.Lock()
			defer d.mu.Unlock()
			switch {
			case err == nil:
				d.acked[k] = true
			case errors.Is(err, usage.ErrQuotaExceeded):
				d.refused[subject] = true
				return nil
			}
			return err
		})
		if i%8 == 7 {
			d.call(patience, "check quota", func(ctx context.Context) error {
				_, err := d.m.CheckQuota(ctx, subject, "credits", drillValue)
				return err
			})
		}
	}
}

// call runs one call with a deadline and files its outcome.
func (d *drill) call(patience time.Duration, what string, f func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	deadline, _ := ctx.Deadline()
	start := time.Now()
	err := f(ctx)
	took := time.Since(start)
	d.calls.Add(1)
	for {
		old := d.maxBlock.Load()
		if int64(took) <= old || d.maxBlock.CompareAndSwap(old, int64(took)) {
			break
		}
	}
	if err == nil {
		return
	}
	d.failures.Add(1)
	if !errors.Is(err, usage.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) || time.Now().Before(deadline) {
		d.mu.Lock()
		d.wrong = append(d.wrong, fmt.Errorf("%s after %v (epoch %d): %w", what, took.Round(time.Millisecond), d.epoch.Load(), err))
		d.mu.Unlock()
	}
}
