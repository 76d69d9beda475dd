package usage_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/store"
)

// retentionMonths are the months of the retention tests: January's events are
// old enough once the clock is past the end of January plus the event retention,
// February's are not.
var (
	jan2025 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	feb2025 = time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	mar2025 = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
)

// trackMonths tracks, for each subject, two credits events in January and two in
// February, each at its time, and closes the invoices of January, failing
// globex's: its January stays uninvoiced.
func trackMonths(t *testing.T, tm *testMeter, subjects ...string) {
	t.Helper()
	ctx := context.Background()
	for _, month := range []time.Time{jan2025, feb2025} {
		for _, at := range []time.Time{month.Add(26 * time.Hour), month.Add(50 * time.Hour)} {
			tm.clock.Set(at)
			for _, s := range subjects {
				track(t, tm.meter, usage.Event{Subject: s, Metric: "credits", Value: 2, Time: at})
			}
		}
	}
	tm.clock.Set(feb2025.Add(48 * time.Hour))
	_, err := tm.meter.CloseInvoices(ctx, usage.BillingSinkFunc(func(_ context.Context, inv usage.Invoice) error {
		if inv.Subject == "globex" {
			return errors.New("the accounting system is down")
		}
		return nil
	}), time.Hour)
	if slices.Contains(subjects, "globex") {
		require.Error(t, err, "globex's January is not invoiced")
	} else {
		require.NoError(t, err)
	}
}

// eventsIn returns the events of subject stored in [from, to).
func eventsIn(t *testing.T, tm *testMeter, subject string, from, to time.Time) int {
	t.Helper()
	n := 0
	for _, e := range listEvents(t, tm.st, subject) {
		if !e.Time.Before(from) && e.Time.Before(to) {
			n++
		}
	}
	return n
}

func TestRetentionDeletesEventsOfInvoicedPeriodsOlderThanTheRetention(t *testing.T) {
	eachMeter(t, func(t *testing.T, tm *testMeter) {
		ctx := context.Background()
		trackMonths(t, tm, "acme", "globex")
		// Just past the end of January plus the retention: February ended later.
		tm.clock.Set(feb2025.Add(usage.DefaultEventRetention + time.Hour))
		res, err := tm.meter.ApplyRetention(ctx)
		require.NoError(t, err)
		require.Equal(t, usage.RetentionResult{Events: 2}, res, "acme's January events; no rollup is five years old")
		require.Zero(t, eventsIn(t, tm, "acme", jan2025, feb2025))
		require.Equal(t, 2, eventsIn(t, tm, "acme", feb2025, mar2025), "February ended less than the retention ago")
		require.Equal(t, 2, eventsIn(t, tm, "globex", jan2025, feb2025), "an uninvoiced period is never deleted")

		series, err := tm.st.Series(ctx, &store.SeriesParams{Subject: "acme", Metric: "credits", From: jan2025, To: feb2025})
		require.NoError(t, err)
		require.Len(t, series.Buckets, 2, "January's rollups outlive its events")
		inv, err := tm.meter.Invoice(ctx, "acme", jan2025)
		require.NoError(t, err)
		require.True(t, inv.Closed, "the invoice is kept")

		res, err = tm.meter.ApplyRetention(ctx)
		require.NoError(t, err)
		require.Zero(t, res, "nothing more is old enough")
	})
}

func TestRetentionWithoutInvoicesNeverDeletesAnOpenPeriod(t *testing.T) {
	eachMeter(t, func(t *testing.T, tm *testMeter) {
		ctx := context.Background()
		cfg := e2eConfig(tm.clock.Now)
		cfg.Maintenance.Retention = usage.RetentionConfig{Events: usage.DefaultMaxLateness, WithoutInvoices: true, BatchSize: 1}
		m := tm.instance(t, cfg)
		trackMonths(t, tm, "acme", "globex")
		// The clock is in March: January ended more than the retention ago, February
		// less, and March, open, has events too.
		tm.clock.Set(mar2025.Add(26 * time.Hour))
		track(t, tm.meter, usage.Event{Subject: "acme", Metric: "credits", Value: 2, Time: tm.clock.Now()})
		tm.clock.Set(feb2025.Add(usage.DefaultMaxLateness + time.Hour))
		res, err := m.ApplyRetention(ctx)
		require.NoError(t, err)
		require.Equal(t, 4, res.Events, "January of both subjects, one event per transaction")
		require.Equal(t, 2, eventsIn(t, tm, "acme", feb2025, mar2025))
		require.Equal(t, 1, eventsIn(t, tm, "acme", mar2025, mar2025.AddDate(0, 1, 0)), "the open period keeps its events")
	})
}

func TestRetentionJobRunsUnderMaintenance(t *testing.T) {
	eachMeter(t, func(t *testing.T, tm *testMeter) {
		trackMonths(t, tm, "acme")
		tm.clock.Set(feb2025.Add(usage.DefaultEventRetention + time.Hour))
		runs, err := tm.meter.RunMaintenance(context.Background())
		require.NoError(t, err)
		require.Len(t, runs, 1)
		require.Equal(t, usage.JobRetention, runs[0].Job)
		require.Zero(t, eventsIn(t, tm, "acme", jan2025, feb2025))
	})
}
