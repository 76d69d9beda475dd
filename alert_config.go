package usage

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/usagekit/usage/store"
)

// Defaults of AlertConfig.
const (
	// DefaultGiveUpAfter is how long after an alert was raised its delivery is
	// tried before it is recorded as failed.
	DefaultGiveUpAfter = 72 * time.Hour
	// DefaultDeliveryWorkers bounds the deliveries in progress at once.
	DefaultDeliveryWorkers = 4
	// DefaultDeliveryPoll is how often the dispatcher looks for due deliveries
	// when it found none.
	DefaultDeliveryPoll = time.Second
	// DefaultDeliveryLease is how long one attempt may take before another
	// instance may try the delivery again: longer than a webhook's timeout.
	DefaultDeliveryLease = time.Minute
	// DefaultMinRetryDelay and DefaultMaxRetryDelay bound the backoff between
	// attempts at a delivery.
	DefaultMinRetryDelay = 5 * time.Second
	DefaultMaxRetryDelay = time.Hour
)

// AlertConfig configures alerts and their delivery. The zero value raises alerts
// at each limit's thresholds (Limit.Thresholds) and delivers them to no one: they
// are listed by ListAlerts.
type AlertConfig struct {
	// Disabled raises no threshold, refusal or forecast alerts.
	Disabled bool
	// ForecastProbability is the probability, in (0, 1], of ending the period above
	// the limit from which Forecast raises an alert (once per quota and period).
	// Defaults to DefaultForecastProbability.
	ForecastProbability float64
	// Notifiers receive every alert, by name (the name records which have taken a
	// delivery, so a retry skips them: keep names stable across restarts). With
	// none, alerts are stored and listed but not delivered.
	Notifiers map[string]Notifier
	// GiveUpAfter is how long after an alert is raised its delivery is retried
	// before it is recorded as failed. Defaults to DefaultGiveUpAfter.
	GiveUpAfter time.Duration
	// DeliveryWorkers bounds the deliveries in progress in this Meter. Defaults to
	// DefaultDeliveryWorkers.
	DeliveryWorkers int
	// DeliveryPoll is how often the Meter looks for due deliveries. Defaults to
	// DefaultDeliveryPoll.
	DeliveryPoll time.Duration
	// DeliveryLease bounds one attempt; when it ends unrecorded (the process
	// died), another instance tries again. Defaults to DefaultDeliveryLease.
	DeliveryLease time.Duration
	// MinRetryDelay and MaxRetryDelay bound the exponential backoff, with jitter,
	// between attempts. Default to DefaultMinRetryDelay and DefaultMaxRetryDelay.
	MinRetryDelay, MaxRetryDelay time.Duration
}

func (a AlertConfig) withDefaults() AlertConfig {
	a.GiveUpAfter = cmp.Or(a.GiveUpAfter, DefaultGiveUpAfter)
	a.DeliveryWorkers = cmp.Or(a.DeliveryWorkers, DefaultDeliveryWorkers)
	a.DeliveryPoll = cmp.Or(a.DeliveryPoll, DefaultDeliveryPoll)
	a.DeliveryLease = cmp.Or(a.DeliveryLease, DefaultDeliveryLease)
	a.MinRetryDelay = cmp.Or(a.MinRetryDelay, DefaultMinRetryDelay)
	a.MaxRetryDelay = cmp.Or(a.MaxRetryDelay, DefaultMaxRetryDelay)
	a.ForecastProbability = cmp.Or(a.ForecastProbability, DefaultForecastProbability)
	return a
}

func (a AlertConfig) validate() error {
	if a.GiveUpAfter < 0 || a.DeliveryWorkers < 0 || a.DeliveryPoll < 0 || a.DeliveryLease < 0 ||
		a.MinRetryDelay < 0 || a.MaxRetryDelay < 0 {
		return fmt.Errorf("usage: Config.Alerts durations and sizes must not be negative")
	}
	if !(a.ForecastProbability > 0 && a.ForecastProbability <= 1) {
		return fmt.Errorf("usage: Config.Alerts.ForecastProbability %v is outside (0, 1]: give a probability such as 0.8", a.ForecastProbability)
	}
	if a.MaxRetryDelay < a.MinRetryDelay {
		return fmt.Errorf("usage: Config.Alerts.MaxRetryDelay %v is below MinRetryDelay %v: raise it", a.MaxRetryDelay, a.MinRetryDelay)
	}
	for name, n := range a.Notifiers {
		if err := checkName("alerts.notifiers", name, true); err != nil {
			return fmt.Errorf("usage: Config.Alerts.Notifiers: %w", err)
		}
		if n == nil {
			return fmt.Errorf("usage: Config.Alerts.Notifiers[%q] is nil: give a Notifier or remove the name", name)
		}
	}
	return nil
}

// notifierNames are the notifiers' names in order, so every attempt tries them in
// the same order.
func (a AlertConfig) notifierNames() []string {
	names := make([]string, 0, len(a.Notifiers))
	for name := range a.Notifiers {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// resolveAlertLevels checks every plan's thresholds and keeps them as the store
// takes them, by plan and metric: a metric without a limit has none.
func (c *Config) resolveAlertLevels() error {
	c.alertLevels = make(map[string]map[string][]store.AlertLevel, len(c.Plans))
	if c.Alerts.Disabled {
		return nil
	}
	for _, p := range c.Plans {
		byMetric := map[string][]store.AlertLevel{}
		for key, l := range p.Limits {
			if l.Unlimited {
				continue
			}
			thresholds := l.Thresholds
			if thresholds == nil {
				thresholds = DefaultThresholds()
			}
			levels, err := alertLevels(fmt.Sprintf("plans[%s].limits[%s].thresholds", p.Key, key), thresholds)
			if err != nil {
				return fmt.Errorf("usage: Config.Plans: %w", err)
			}
			byMetric[key] = levels
		}
		c.alertLevels[p.Key] = byMetric
	}
	return nil
}
