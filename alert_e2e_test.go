package usage_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
)

// recorder is a Notifier that keeps what it is given.
type recorder struct {
	mu   sync.Mutex
	seen []usage.Notification
}

func (r *recorder) Notify(_ context.Context, n usage.Notification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, n)
	return nil
}

func (r *recorder) notifications() []usage.Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seen)
}

// deliveringConfig is e2eConfig with notifiers, polled and retried fast.
func deliveringConfig(now func() time.Time, notifiers map[string]usage.Notifier) *usage.Config {
	cfg := e2eConfig(now)
	cfg.Alerts = usage.AlertConfig{Notifiers: notifiers, DeliveryPoll: 5 * time.Millisecond,
		MinRetryDelay: 5 * time.Millisecond, MaxRetryDelay: 20 * time.Millisecond}
	return cfg
}

// credits tracks n credits of subject as one event.
func credits(t *testing.T, m *usage.Meter, subject, id string, n float64) {
	t.Helper()
	track(t, m, usage.Event{Subject: subject, ID: id, Metric: "credits", Value: n})
}

// alertsOf lists every alert of subject, newest first.
func alertsOf(t *testing.T, m *usage.Meter, subject string) []usage.Alert {
	t.Helper()
	page, err := m.ListAlerts(context.Background(), usage.AlertFilter{Subject: subject})
	require.NoError(t, err)
	require.Zero(t, page.Next)
	return page.Alerts
}

// waitDelivered waits until every alert of subject has left the pending state.
func waitDelivered(t *testing.T, m *usage.Meter, subject string, alerts int) []usage.Alert {
	t.Helper()
	var got []usage.Alert
	require.Eventually(t, func() bool {
		got = alertsOf(t, m, subject)
		if len(got) != alerts {
			return false
		}
		for _, a := range got {
			if a.Delivery.State == "pending" {
				return false
			}
		}
		return true
	}, 30*time.Second, 5*time.Millisecond, "alerts of %s delivered", subject)
	return got
}

func TestCrossingThresholdsRaisesEachAlertOncePerPeriod(t *testing.T) {
	eachMeter(t, func(t *testing.T, tm *testMeter) {
		m := tm.meter
		credits(t, m, "acme", "a", 790)
		require.Empty(t, alertsOf(t, m, "acme"))
		credits(t, m, "acme", "b", 20)
		credits(t, m, "acme", "c", 5)
		credits(t, m, "acme", "d", 185)
		_, err := m.Track(context.Background(), usage.Event{Subject: "acme", ID: "e", Metric: "credits", Value: 1})
		require.ErrorIs(t, err, usage.ErrQuotaExceeded)
		_, err = m.Track(context.Background(), usage.Event{Subject: "acme", ID: "f", Metric: "credits", Value: 1})
		require.ErrorIs(t, err, usage.ErrQuotaExceeded)

		alerts := alertsOf(t, m, "acme")
		require.Len(t, alerts, 4, "80, 90 and 100 %% once each, and one refusal")
		refusal, full, high, warning := alerts[0], alerts[1], alerts[2], alerts[3]
		require.Equal(t, usage.AlertRefusal, refusal.Kind)
		require.Equal(t, usage.SeverityCritical, refusal.Severity)
		require.Equal(t, []float64{100, 90, 80}, []float64{full.Threshold, high.Threshold, warning.Threshold})
		require.Equal(t, []usage.Severity{usage.SeverityCritical, usage.SeverityHigh, usage.SeverityWarning},
			[]usage.Severity{full.Severity, high.Severity, warning.Severity})
		require.Equal(t, usage.AlertThreshold, warning.Kind)
		require.Equal(t, "810", warning.Used.String(), "usage when it crossed")
		require.Equal(t, "1000", warning.Limit.String())
		require.Equal(t, "acme has used 80% of its credits limit: 810 of 1000 this period", warning.Message)
		require.True(t, warning.Period.Contains(tm.clock.Now()))

		// A new period starts without alerts.
		tm.clock.Set(warning.Period.End.Add(time.Hour))
		credits(t, m, "acme", "g", 850)
		require.Len(t, alertsOf(t, m, "acme"), 5, "80 %% again, in the new period")
	})
}

func TestAlertsAreFilteredPagedAndAcknowledgedOnce(t *testing.T) {
	eachMeter(t, func(t *testing.T, tm *testMeter) {
		m, ctx := tm.meter, context.Background()
		credits(t, m, "acme", "a", 1000)
		credits(t, m, "globex", "a", 950)
		n, err := m.UnacknowledgedAlerts(ctx, "acme")
		require.NoError(t, err)
		require.Equal(t, int64(3), n)

		page, err := m.ListAlerts(ctx, usage.AlertFilter{Limit: 4})
		require.NoError(t, err)
		require.Len(t, page.Alerts, 4)
		require.NotZero(t, page.Next)
		rest, err := m.ListAlerts(ctx, usage.AlertFilter{Limit: 4, Before: page.Next})
		require.NoError(t, err)
		require.Len(t, rest.Alerts, 1)
		require.Zero(t, rest.Next)

		critical, err := m.ListAlerts(ctx, usage.AlertFilter{Severity: usage.SeverityCritical})
		require.NoError(t, err)
		require.Len(t, critical.Alerts, 1)
		require.Equal(t, "acme", critical.Alerts[0].Subject)

		id := critical.Alerts[0].ID
		_, err = m.AcknowledgeAlert(ctx, "globex", id, "mallory")
		require.ErrorIs(t, err, usage.ErrAlertNotFound, "a tenant acknowledges only its own alerts")
		a, err := m.AcknowledgeAlert(ctx, "acme", id, "ops@acme")
		require.NoError(t, err)
		require.Equal(t, "ops@acme", a.AcknowledgedBy)
		again, err := m.AcknowledgeAlert(ctx, "", id, "someone else")
		require.NoError(t, err)
		require.Equal(t, "ops@acme", again.AcknowledgedBy, "the first acknowledgement stands")
		n, err = m.UnacknowledgedAlerts(ctx, "acme")
		require.NoError(t, err)
		require.Equal(t, int64(2), n)
		no := false
		open, err := m.ListAlerts(ctx, usage.AlertFilter{Subject: "acme", Acknowledged: &no})
		require.NoError(t, err)
		require.Len(t, open.Alerts, 2)

		_, err = m.ListAlerts(ctx, usage.AlertFilter{Severity: "urgent"})
		require.ErrorIs(t, err, usage.ErrInvalidInput)
	})
}

func TestEveryAlertIsDeliveredToEveryNotifier(t *testing.T) {
	eachMeter(t, func(t *testing.T, tm *testMeter) {
		a, b := &recorder{}, &recorder{}
		m := tm.instance(t, deliveringConfig(time.Now, map[string]usage.Notifier{"a": a, "b": b}))
		credits(t, m, "acme", "a", 850)
		alerts := waitDelivered(t, m, "acme", 1)
		require.Equal(t, "delivered", alerts[0].Delivery.State)
		for _, r := range []*recorder{a, b} {
			seen := r.notifications()
			require.Len(t, seen, 1)
			require.Equal(t, "quota.threshold_crossed", seen[0].Type)
			require.Equal(t, alerts[0].Delivery.ID, seen[0].ID)
			require.Equal(t, alerts[0].ID, seen[0].Alert.ID)
			require.Equal(t, 1, seen[0].Attempt)
		}
	})
}

func TestANotifierThatFailsIsRetriedAloneUntilItTakesTheAlert(t *testing.T) {
	eachMeter(t, func(t *testing.T, tm *testMeter) {
		ok := &recorder{}
		var mu sync.Mutex
		var attempts []int
		flaky := usage.NotifierFunc(func(_ context.Context, n usage.Notification) error {
			mu.Lock()
			defer mu.Unlock()
			attempts = append(attempts, n.Attempt)
			if len(attempts) < 3 {
				return fmt.Errorf("receiver down")
			}
			return nil
		})
		m := tm.instance(t, deliveringConfig(time.Now, map[string]usage.Notifier{"ok": ok, "flaky": flaky}))
		credits(t, m, "acme", "a", 850)
		alerts := waitDelivered(t, m, "acme", 1)
		require.Equal(t, "delivered", alerts[0].Delivery.State)
		require.Equal(t, []int{1, 2, 3}, attempts)
		require.Len(t, ok.notifications(), 1, "the notifier that took it is not called again")
	})
}

func TestInstancesRacingPastThresholdsRaiseAndDeliverEachAlertOnce(t *testing.T) {
	eachMeter(t, func(t *testing.T, tm *testMeter) {
		rec := &recorder{}
		var meters []*usage.Meter
		for range 4 {
			meters = append(meters, tm.instance(t, deliveringConfig(time.Now, map[string]usage.Notifier{"rec": rec})))
		}
		var wg sync.WaitGroup
		for i, m := range meters {
			for w := range 8 {
				wg.Go(func() {
					for j := 0; ; j++ {
						_, err := m.Track(context.Background(), usage.Event{Subject: "shared",
							ID: fmt.Sprintf("%d-%d-%d", i, w, j), Metric: "credits", Value: 10})
						if err != nil {
							require.ErrorIs(t, err, usage.ErrQuotaExceeded)
							return
						}
					}
				})
			}
		}
		wg.Wait()
		alerts := waitDelivered(t, meters[0], "shared", 4)
		kinds := map[usage.AlertKind]int{}
		for _, a := range alerts {
			kinds[a.Kind]++
			require.Equal(t, "delivered", a.Delivery.State)
		}
		require.Equal(t, map[usage.AlertKind]int{usage.AlertThreshold: 3, usage.AlertRefusal: 1}, kinds)
		ids := map[string]int{}
		for _, n := range rec.notifications() {
			ids[n.ID]++
		}
		require.Len(t, ids, 4)
		for id, n := range ids {
			require.Equal(t, 1, n, "delivery %s delivered %d times", id, n)
		}
	})
}

func TestASubjectsOwnThresholdsReplaceItsPlansAtRunTime(t *testing.T) {
	eachMeter(t, func(t *testing.T, tm *testMeter) {
		m, ctx := tm.meter, context.Background()
		got, err := m.Thresholds(ctx, "acme")
		require.NoError(t, err)
		require.Equal(t, usage.DefaultThresholds(), got["credits"])

		require.NoError(t, m.SetThresholds(ctx, "acme", "credits", []usage.Threshold{{Percent: 50}, {Percent: 75, Severity: usage.SeverityHigh}}))
		got, err = m.Thresholds(ctx, "acme")
		require.NoError(t, err)
		require.Equal(t, []usage.Threshold{{Percent: 50, Severity: usage.SeverityWarning}, {Percent: 75, Severity: usage.SeverityHigh}}, got["credits"])
		credits(t, m, "acme", "a", 600)
		alerts := alertsOf(t, m, "acme")
		require.Len(t, alerts, 1)
		require.Equal(t, 50.0, alerts[0].Threshold)

		require.NoError(t, m.SetThresholds(ctx, "acme", "credits", nil), "back to the plan's")
		credits(t, m, "acme", "b", 250)
		alerts = alertsOf(t, m, "acme")
		require.Len(t, alerts, 2)
		require.Equal(t, 80.0, alerts[0].Threshold)

		require.NoError(t, m.SetThresholds(ctx, "globex", "credits", []usage.Threshold{}), "none for globex")
		credits(t, m, "globex", "a", 1000)
		require.Empty(t, alertsOf(t, m, "globex"))
		other := tm.instance(t, e2eConfig(tm.clock.Now))
		got, err = other.Thresholds(ctx, "globex")
		require.NoError(t, err)
		require.Empty(t, got["credits"], "another instance reads them from the store")
	})
}

// TestASubjectsOwnThresholdsLeaveOtherSubjectsOnThePlanAlone gives one subject on
// the DefaultPlan thresholds of its own after another on it was resolved: subjects
// on the DefaultPlan share its terms, and the first keeps the plan's thresholds and
// its own name.
func TestASubjectsOwnThresholdsLeaveOtherSubjectsOnThePlanAlone(t *testing.T) {
	eachMeter(t, func(t *testing.T, tm *testMeter) {
		m, ctx := tm.meter, context.Background()
		credits(t, m, "initech", "a", 100)
		require.NoError(t, m.SetThresholds(ctx, "acme", "credits", []usage.Threshold{{Percent: 50}}))
		credits(t, m, "acme", "a", 600)
		credits(t, m, "initech", "b", 500)
		alerts := alertsOf(t, m, "acme")
		require.Len(t, alerts, 1)
		require.Equal(t, 50.0, alerts[0].Threshold)
		require.Empty(t, alertsOf(t, m, "initech"), "60 % is under the plan's thresholds")
		for _, subject := range []string{"acme", "initech"} {
			a, err := m.AssignmentOf(ctx, subject)
			require.NoError(t, err)
			require.Equal(t, usage.Assignment{Subject: subject, Plan: "strict", Anchor: time.Unix(0, 0).UTC(),
				Cycle: usage.CycleCalendar, TimeZone: "UTC"}, a)
		}
	})
}

func TestSetThresholdsRefusesBadInput(t *testing.T) {
	eachMeter(t, func(t *testing.T, tm *testMeter) {
		m, ctx := tm.meter, context.Background()
		for _, ths := range [][]usage.Threshold{{{Percent: 0}}, {{Percent: 1001}}, {{Percent: 80}, {Percent: 80}}} {
			require.ErrorIs(t, m.SetThresholds(ctx, "acme", "credits", ths), usage.ErrInvalidInput, "%v", ths)
		}
		require.ErrorIs(t, m.SetThresholds(ctx, "acme", "nope", usage.DefaultThresholds()), usage.ErrInvalidInput, "unknown metric")
		require.ErrorIs(t, m.SetThresholds(ctx, "", "credits", usage.DefaultThresholds()), usage.ErrInvalidInput, "no subject")
	})
}
