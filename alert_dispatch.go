package usage

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/usagekit/usage/internal/dispatch"
	"github.com/usagekit/usage/store"
)

// startDispatcher starts delivering alerts to the configured notifiers, if any.
func (m *Meter) startDispatcher() {
	a := m.cfg.Alerts
	if len(a.Notifiers) == 0 {
		return
	}
	m.dispatcher = dispatch.Start(dispatch.Options{
		Store: m.direct, Deliver: m.deliver, Workers: a.DeliveryWorkers, Poll: a.DeliveryPoll,
		Lease: a.DeliveryLease, GiveUpAfter: a.GiveUpAfter, MinDelay: a.MinRetryDelay,
		MaxDelay: a.MaxRetryDelay, Now: m.now, Logger: m.cfg.Logger,
	})
}

// stopDispatcher stops delivering; attempts in progress are tried again later.
func (m *Meter) stopDispatcher(ctx context.Context) error {
	if m.dispatcher == nil {
		return nil
	}
	return m.dispatcher.Stop(ctx)
}

// deliver makes one attempt at an alert's delivery: it notifies, in name order,
// every notifier that has not taken it yet. The delivery fails for good only when
// every notifier that did not take it refused it permanently.
func (m *Meter) deliver(ctx context.Context, a store.Alert) dispatch.Outcome {
	alert := m.alertFromStore(a)
	n := Notification{ID: alert.Delivery.ID, Type: alert.Kind.notificationType(),
		Attempt: a.Delivery.Attempts, Alert: alert}
	out := dispatch.Outcome{DeliveredTo: slices.Clone(a.Delivery.DeliveredTo), Permanent: true}
	var errs []error
	for _, name := range m.cfg.Alerts.notifierNames() {
		if slices.Contains(out.DeliveredTo, name) {
			continue
		}
		err := m.cfg.Alerts.Notifiers[name].Notify(ctx, n)
		if err == nil {
			m.tel.alertsDelivered.Add(ctx, 1)
			out.DeliveredTo = append(out.DeliveredTo, name)
			continue
		}
		m.tel.alertsFailed.Add(ctx, 1)
		permanent, wait := notifyPolicy(err)
		out.Permanent = out.Permanent && permanent
		out.RetryAfter = max(out.RetryAfter, wait)
		errs = append(errs, fmt.Errorf("%s: %w", name, err))
	}
	out.Err = errors.Join(errs...)
	return out
}
