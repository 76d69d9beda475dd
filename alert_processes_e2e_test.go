package usage_test

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
)

// alertProcesses is how many processes race past the thresholds: SQLite's one
// writer makes more than two on one file only slower.
func alertProcesses(db testdb.Backend) int {
	if db.Name == "postgres" {
		return 4
	}
	return 2
}

func TestProcessesRacingPastThresholdsRaiseAndDeliverEachAlertOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		loc := db.NewDatabase(t)
		st := db.OpenAt(t, loc) // migrate before the children race
		n := alertProcesses(db)
		_, errs := spawnAll(t, db, scenarioConsume, loc, n, time.Now().Add(3*time.Second))()
		for p := range n {
			require.NoError(t, errs[p], "child %d", p)
		}
		rec := &recorder{}
		m, err := usage.New(st, deliveringConfig(time.Now, map[string]usage.Notifier{"rec": rec}))
		require.NoError(t, err)
		t.Cleanup(func() { m.Close(context.Background()) })
		alerts := waitDelivered(t, m, "shared", 4)
		kinds := map[usage.AlertKind]int{}
		for _, a := range alerts {
			kinds[a.Kind]++
		}
		require.Equal(t, map[usage.AlertKind]int{usage.AlertThreshold: 3, usage.AlertRefusal: 1}, kinds,
			"80, 90 and 100 %% once each, however many processes crossed them")
		require.Len(t, rec.notifications(), 4, "one delivery per alert")
	})
}

// alertKillLease is the delivery lease of the killed child: the parent's Meter
// delivers again once it ends.
const alertKillLease = time.Second

func TestADeliveryInterruptedByAKillIsMadeAfterTheRestart(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		loc := db.NewDatabase(t)
		st := db.OpenAt(t, loc)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := childCommand(ctx, db, scenarioAlertKill, loc)
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		lines := bufio.NewScanner(out)
		for lines.Scan() && strings.TrimSpace(lines.Text()) != "notifying" {
		}
		require.NoError(t, cmd.Process.Kill(), "kill -9 while the alert is being delivered")
		_ = cmd.Wait()
		db.Settle(t, loc)

		before, err := st.ListAlerts(ctx, &store.ListAlertsParams{Subject: "killed"})
		require.NoError(t, err)
		require.Len(t, before.Alerts, 1, "the alert committed with the usage")
		require.Equal(t, store.DeliveryPending, before.Alerts[0].Delivery.State)
		require.Equal(t, 1, before.Alerts[0].Delivery.Attempts, "the killed child had claimed it")

		rec := &recorder{}
		m, err := usage.New(st, deliveringConfig(time.Now, map[string]usage.Notifier{"rec": rec}))
		require.NoError(t, err)
		t.Cleanup(func() { m.Close(context.Background()) })
		alerts := waitDelivered(t, m, "killed", 1)
		require.Equal(t, "delivered", alerts[0].Delivery.State)
		seen := rec.notifications()
		require.Len(t, seen, 1)
		require.Equal(t, 2, seen[0].Attempt, "the restart's attempt, after the lease of the killed one")
		require.Equal(t, alerts[0].Delivery.ID, seen[0].ID)
	})
}

// runAlertKillChild tracks credits past 80 % through a Meter whose notifier
// prints "notifying" and never returns, to be killed there.
func runAlertKillChild(ctx context.Context, st store.Store) error {
	stuck := usage.NotifierFunc(func(ctx context.Context, _ usage.Notification) error {
		fmt.Println("notifying")
		<-ctx.Done()
		return ctx.Err()
	})
	cfg := deliveringConfig(time.Now, map[string]usage.Notifier{"stuck": stuck})
	cfg.Alerts.DeliveryLease = alertKillLease
	m, err := usage.New(st, cfg)
	if err != nil {
		return err
	}
	defer m.Close(ctx)
	if _, err := m.Track(ctx, usage.Event{Subject: "killed", ID: "a", Metric: "credits", Value: 850}); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}
