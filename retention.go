package usage

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/usagekit/usage/store"
)

// Defaults of RetentionConfig.
const (
	// DefaultEventRetention is how long raw events are kept: thirteen months, so a
	// year can be compared with the year before from the events themselves.
	DefaultEventRetention = 396 * 24 * time.Hour
	// DefaultRollupRetention is how long hourly rollups are kept: five years.
	DefaultRollupRetention = 5 * 366 * 24 * time.Hour
	// DefaultRetentionBatch is the most rows one retention transaction deletes:
	// enough to go through millions of rows in minutes, small enough that a
	// transaction holds its locks (on SQLite, the database's write lock) for a
	// moment, so ingestion goes on beside it.
	DefaultRetentionBatch = 2000
	// DefaultRetentionEvery is how often the retention job runs.
	DefaultRetentionEvery = time.Hour
)

// RetentionConfig says how long the store keeps raw events and hourly rollups.
// Deletion goes by billing period: a period's events are deleted once the period
// ended Events ago, and its rollups once it ended Rollups ago, so every event is
// kept at least Events. Nothing of a period that is open, or whose invoice is not
// closed, is ever deleted (see WithoutInvoices). Quota rows (each period's totals),
// invoices and corrections are kept; reads from the rollups (series, trends,
// forecasts, reports) still answer for periods whose events are gone, and a
// correction of a deleted event fails with ErrNotFound.
type RetentionConfig struct {
	// Off turns the retention job off: nothing is deleted unless the host calls
	// ApplyRetention.
	Off bool
	// Events is how long raw events are kept after their billing period ends. It
	// must be at least Config.MaxLateness, so that no event can arrive in a period
	// already deleted. Defaults to DefaultEventRetention.
	Events time.Duration
	// Rollups is how long hourly rollups are kept after their billing period ends;
	// at least Events. Defaults to DefaultRollupRetention.
	Rollups time.Duration
	// WithoutInvoices lets retention delete the data of periods whose invoice was
	// never closed. By default a period is deleted only once its invoice is closed
	// (CloseInvoices, or the invoices job); set it when the host does not invoice
	// through this Meter.
	WithoutInvoices bool
	// BatchSize is the most rows one transaction deletes. Defaults to
	// DefaultRetentionBatch.
	BatchSize int
	// Every is the interval of the retention job. Defaults to
	// DefaultRetentionEvery.
	Every time.Duration
}

func (c RetentionConfig) withDefaults() RetentionConfig {
	c.Events = cmp.Or(c.Events, DefaultEventRetention)
	c.Rollups = cmp.Or(c.Rollups, DefaultRollupRetention)
	c.BatchSize = cmp.Or(c.BatchSize, DefaultRetentionBatch)
	c.Every = cmp.Or(c.Every, DefaultRetentionEvery)
	return c
}

func (c RetentionConfig) validate(maxLateness time.Duration) error {
	switch {
	case c.Events < 0 || c.Rollups < 0 || c.BatchSize < 0 || c.Every < 0:
		return fmt.Errorf("usage: Config.Maintenance.Retention durations and sizes must not be negative")
	case c.Events < maxLateness:
		return fmt.Errorf("usage: Config.Maintenance.Retention.Events (%s) is shorter than Config.MaxLateness (%s): events could arrive in a period already deleted; keep events longer", c.Events, maxLateness)
	case c.Rollups < c.Events:
		return fmt.Errorf("usage: Config.Maintenance.Retention.Rollups (%s) is shorter than Events (%s): keep the rollups at least as long as the events they sum", c.Rollups, c.Events)
	}
	return nil
}

// RetentionResult is what ApplyRetention deleted.
type RetentionResult struct {
	// Events and Rollups are the rows deleted.
	Events, Rollups int
}

// ApplyRetention deletes the raw events and hourly rollups older than
// Config.Maintenance.Retention allows (see RetentionConfig), in transactions of
// at most its BatchSize rows, each followed by a rest as long as it took, until
// nothing is left to delete or ctx ends. It is
// the retention job's work; call it directly to run it now. Calls on several
// instances at once are safe, though only one is useful.
func (m *Meter) ApplyRetention(ctx context.Context) (RetentionResult, error) {
	var out RetentionResult
	if err := m.checkOpen(); err != nil {
		return out, err
	}
	c := m.cfg.Maintenance.Retention
	now := m.now()
	params := &store.DeleteExpiredParams{EventsBefore: now.Add(-c.Events), RollupsBefore: now.Add(-c.Rollups),
		Invoiced: !c.WithoutInvoices, Limit: c.BatchSize, Now: now}
	for {
		start := time.Now()
		res, err := m.store.DeleteExpired(ctx, params)
		if err != nil {
			return out, fmt.Errorf("usage: retention: %w", err)
		}
		out.Events += res.Events
		out.Rollups += res.Rollups
		if res.Done {
			m.cfg.Logger.Debug("usage: retention done", "events", out.Events, "rollups", out.Rollups)
			return out, nil
		}
		// As long a rest as the batch took: retention holds at most half of the
		// database's write time (on SQLite, of its one write lock), so ingestion
		// goes on at no less than half its pace while it runs.
		rest := time.NewTimer(time.Since(start))
		select {
		case <-ctx.Done():
			rest.Stop()
			return out, fmt.Errorf("usage: retention: %w", ctx.Err())
		case <-rest.C:
		}
	}
}
