package usage_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
)

// jobLog records the maintenance runs of several instances, by job and slot.
type jobLog struct {
	mu   sync.Mutex
	runs map[string]map[time.Time]int
}

func (l *jobLog) add(runs []usage.MaintenanceRun) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.runs == nil {
		l.runs = map[string]map[time.Time]int{}
	}
	for _, r := range runs {
		if l.runs[r.Job] == nil {
			l.runs[r.Job] = map[time.Time]int{}
		}
		l.runs[r.Job][r.Slot]++
	}
}

func TestEachMaintenanceJobRunsOncePerSlotAcrossThreeInstances(t *testing.T) {
	eachMeter(t, func(t *testing.T, tm *testMeter) {
		ctx := context.Background()
		start := time.Date(2026, 3, 1, 0, 30, 0, 0, time.UTC)
		tm.clock.Set(start)
		var invoices sync.Map
		var hostRuns sync.Mutex
		hostSlots := map[time.Time]int{}
		cfg := func() *usage.Config {
			cfg := e2eConfig(tm.clock.Now)
			cfg.Maintenance = usage.MaintenanceConfig{
				BillingGrace: time.Minute,
				BillingSink: usage.BillingSinkFunc(func(_ context.Context, inv usage.Invoice) error {
					n, _ := invoices.LoadOrStore(inv.ID, new(atomic.Int64))
					n.(*atomic.Int64).Add(1)
					return nil
				}),
				Jobs: []usage.MaintenanceJob{{Name: "host", Every: time.Hour, Run: func(context.Context) error {
					hostRuns.Lock()
					defer hostRuns.Unlock()
					hostSlots[tm.clock.Now().Truncate(time.Hour)]++
					return nil
				}}},
			}
			return cfg
		}
		instances := []*usage.Meter{tm.instance(t, cfg()), tm.instance(t, cfg()), tm.instance(t, cfg())}
		track(t, instances[0], usage.Event{Subject: "acme", Metric: "credits", Value: 5, Time: start.Add(-time.Hour)})

		var log jobLog
		var failures atomic.Int64
		const slots = 4
		for slot := range slots {
			tm.clock.Set(start.Add(time.Duration(slot) * time.Hour))
			// Each instance checks twice in the slot, all at once.
			var wg sync.WaitGroup
			for range 2 {
				for _, m := range instances {
					wg.Go(func() {
						runs, err := m.RunMaintenance(ctx)
						if err != nil {
							t.Errorf("RunMaintenance: %v", err)
							failures.Add(1)
						}
						log.add(runs)
					})
				}
			}
			wg.Wait()
			require.Zero(t, failures.Load())
		}
		for _, job := range []string{usage.JobInvoices, usage.JobRetention, "host"} {
			require.Len(t, log.runs[job], slots, "%s runs in every slot", job)
			for slot, n := range log.runs[job] {
				require.Equal(t, 1, n, "%s ran %d times in the slot at %v", job, n, slot)
			}
		}
		require.Len(t, hostSlots, slots)
		n := 0
		invoices.Range(func(id, delivered any) bool {
			n++
			require.Equal(t, int64(1), delivered.(*atomic.Int64).Load(), "invoice %s delivered once", id)
			return true
		})
		require.Equal(t, 1, n, "February's invoice")
	})
}

func TestMaintenanceConfigRefusesWhatCannotWork(t *testing.T) {
	for name, c := range map[string]usage.MaintenanceConfig{
		"events kept shorter than lateness": {Retention: usage.RetentionConfig{Events: time.Hour}},
		"rollups kept shorter than events":  {Retention: usage.RetentionConfig{Rollups: 24 * time.Hour}},
		"negative lease":                    {LeaseTime: -time.Second},
		"job without a name":                {Jobs: []usage.MaintenanceJob{{Every: time.Hour, Run: func(context.Context) error { return nil }}}},
		"job named like a built-in one":     {Jobs: []usage.MaintenanceJob{{Name: usage.JobRetention, Every: time.Hour, Run: func(context.Context) error { return nil }}}},
		"job without an interval":           {Jobs: []usage.MaintenanceJob{{Name: "x", Run: func(context.Context) error { return nil }}}},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := e2eConfig(time.Now)
			cfg.Maintenance = c
			st, _ := testdb.SQLite().OpenNew(t)
			_, err := usage.New(st, cfg)
			require.ErrorContains(t, err, "Config.Maintenance")
		})
	}
}

// It runs alone: its leak check must see only its own goroutines.
func TestCloseStopsMaintenanceAndLeavesNoGoroutine(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		ctx := context.Background()
		loc := db.NewDatabase(t)
		leaks := goleak.IgnoreCurrent()
		st, err := db.Open(ctx, loc)
		require.NoError(t, err)
		running := make(chan struct{})
		cfg := e2eConfig(time.Now)
		cfg.Maintenance = usage.MaintenanceConfig{Run: true, LeaseTime: time.Second,
			Jobs: []usage.MaintenanceJob{{Name: "endless", Every: time.Hour, Run: func(ctx context.Context) error {
				close(running)
				<-ctx.Done()
				return ctx.Err()
			}}}}
		m, err := usage.New(st, cfg)
		require.NoError(t, err)
		<-running
		require.NoError(t, m.Close(ctx))
		_, err = m.RunMaintenance(ctx)
		require.ErrorIs(t, err, usage.ErrClosed)
		require.NoError(t, st.Close())
		goleak.VerifyNone(t, leaks)
	})
}

func TestRunMaintenanceReportsAJobsFailureAndRunsItAgain(t *testing.T) {
	eachMeter(t, func(t *testing.T, tm *testMeter) {
		calls := 0
		cfg := e2eConfig(tm.clock.Now)
		cfg.Maintenance.Retention.Off = true
		cfg.Maintenance.Jobs = []usage.MaintenanceJob{{Name: "flaky", Every: time.Hour, Run: func(context.Context) error {
			calls++
			if calls == 1 {
				return fmt.Errorf("boom")
			}
			return nil
		}}}
		m := tm.instance(t, cfg)
		runs, err := m.RunMaintenance(context.Background())
		require.ErrorContains(t, err, "boom")
		require.Len(t, runs, 1)
		require.Equal(t, "flaky", runs[0].Job)
		runs, err = m.RunMaintenance(context.Background())
		require.NoError(t, err)
		require.Len(t, runs, 1, "the failed slot is due again")
		runs, err = m.RunMaintenance(context.Background())
		require.NoError(t, err)
		require.Empty(t, runs)
	})
}
