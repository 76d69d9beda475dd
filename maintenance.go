package usage

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/usagekit/usage/internal/scheduler"
)

// Defaults of MaintenanceConfig.
const (
	// DefaultLeaseTime is how long an instance holds a maintenance job's lease
	// without renewing it: the longest a dead instance keeps a job from running.
	DefaultLeaseTime = time.Minute
	// DefaultInvoicesEvery is how often the invoices job closes ended periods.
	DefaultInvoicesEvery = time.Hour
	// DefaultReportsEvery is how often the reports job removes expired reports.
	DefaultReportsEvery = 24 * time.Hour
)

// The names of the built-in maintenance jobs, as MaintenanceRun.Job and the
// "job" attribute of the maintenance instruments give them.
const (
	JobInvoices  = "invoices"
	JobRetention = "retention"
	JobReports   = "reports"
	JobForecasts = "forecasts"
	JobAnomalies = "anomalies"
)

// MaintenanceConfig configures the Meter's periodic jobs: closing invoices,
// retention, removing expired reports, forecasts and anomaly detection, and the
// host's own. Each job runs once per slot of its interval (every hour on the hour,
// every day at midnight UTC) across all instances sharing the store: an instance
// takes the job's lease in the store, renews it while the job runs, and records the
// slot as done; if it dies, another takes the job over once the lease expires and
// runs the slot again, which jobs allow since they are idempotent. The instances'
// clocks must agree to well within LeaseTime.
type MaintenanceConfig struct {
	// Run starts the schedule in New, on this instance; it stops with Close. Start
	// it on every instance, or on some: each job runs once per slot either way.
	// Without it, jobs run only when the host calls RunMaintenance.
	Run bool
	// LeaseTime is how long an instance holds a job without renewing its lease; a
	// running job renews it every third of it. Another instance takes the job of a
	// dead one over within LeaseTime plus CheckEvery. Defaults to DefaultLeaseTime.
	LeaseTime time.Duration
	// CheckEvery is how often the schedule looks for due jobs. Defaults to a quarter
	// of LeaseTime.
	CheckEvery time.Duration
	// Instance names this instance in the leases, for people reading them. Defaults
	// to the host name and process ID with a random suffix; it must be unique per
	// running Meter.
	Instance string

	// BillingSink receives the invoices the invoices job closes with
	// CloseInvoices. The job runs only when it is set.
	BillingSink BillingSink
	// BillingGrace is CloseInvoices' grace. Defaults to DefaultBillingGrace.
	BillingGrace time.Duration
	// InvoicesEvery is the interval of the invoices job. Defaults to
	// DefaultInvoicesEvery.
	InvoicesEvery time.Duration

	// Retention configures the retention job, which deletes old events and
	// rollups (see ApplyRetention).
	Retention RetentionConfig

	// Reports, when set, has the reports job remove the expired reports of the
	// report store it configures (Reports.RemoveExpired) every ReportsEvery, which
	// defaults to DefaultReportsEvery. Give it the ReportsConfig of the host's
	// NewReports.
	Reports      *ReportsConfig
	ReportsEvery time.Duration

	// ForecastEvery, when positive, runs the forecasts job at that interval: it
	// stores a forecast (Forecast, with ForecastOptions) for every subject and
	// metric with usage in the last ForecastOptions.History.
	ForecastEvery   time.Duration
	ForecastOptions ForecastOptions
	// DetectEvery, when positive, runs the anomalies job at that interval:
	// DetectAllAnomalies with DetectOptions.
	DetectEvery   time.Duration
	DetectOptions DetectAllOptions

	// Jobs are more jobs to run on the same terms, such as the host's own. Their
	// names must differ from the built-in ones.
	Jobs []MaintenanceJob
}

// MaintenanceJob is a job of the host's to run under the maintenance schedule.
type MaintenanceJob struct {
	// Name identifies the job's lease: the same on every instance.
	Name string
	// Every is the interval of the job's slots.
	Every time.Duration
	// Run does the job once. It must be idempotent (a run cut short by a dead
	// instance is run again elsewhere) and return when ctx ends.
	Run func(ctx context.Context) error
}

// MaintenanceRun is one run of a maintenance job by this instance.
type MaintenanceRun struct {
	// Job is the job's name.
	Job string
	// Slot is the start of the slot the run was for.
	Slot time.Time
	// Took is how long the run took.
	Took time.Duration
	// Err is the job's failure: the slot stays due and runs again at the next
	// check.
	Err error
}

// withDefaults fills in the defaults of c.
func (c MaintenanceConfig) withDefaults() MaintenanceConfig {
	c.LeaseTime = cmp.Or(c.LeaseTime, DefaultLeaseTime)
	c.CheckEvery = cmp.Or(c.CheckEvery, c.LeaseTime/4)
	c.BillingGrace = cmp.Or(c.BillingGrace, DefaultBillingGrace)
	c.InvoicesEvery = cmp.Or(c.InvoicesEvery, DefaultInvoicesEvery)
	c.ReportsEvery = cmp.Or(c.ReportsEvery, DefaultReportsEvery)
	c.Retention = c.Retention.withDefaults()
	if c.Instance == "" {
		host, _ := os.Hostname()
		var b [4]byte
		rand.Read(b[:])
		c.Instance = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	return c
}

// validate says what is wrong with c and how to fix it; maxLateness is the Config's.
func (c MaintenanceConfig) validate(maxLateness time.Duration) error {
	if c.LeaseTime < 0 || c.CheckEvery < 0 || c.BillingGrace < 0 || c.InvoicesEvery < 0 || c.ReportsEvery < 0 ||
		c.ForecastEvery < 0 || c.DetectEvery < 0 {
		return errors.New("usage: Config.Maintenance durations must not be negative")
	}
	if err := c.Retention.validate(maxLateness); err != nil {
		return err
	}
	builtIn := map[string]bool{JobInvoices: true, JobRetention: true, JobReports: true, JobForecasts: true, JobAnomalies: true}
	for i, j := range c.Jobs {
		switch {
		case j.Name == "" || builtIn[j.Name]:
			return fmt.Errorf("usage: Config.Maintenance.Jobs[%d] is named %q: give it a name of its own", i, j.Name)
		case j.Every <= 0:
			return fmt.Errorf("usage: Config.Maintenance.Jobs[%d] (%s) has no interval: set Every", i, j.Name)
		case j.Run == nil:
			return fmt.Errorf("usage: Config.Maintenance.Jobs[%d] (%s) has no Run function", i, j.Name)
		}
		builtIn[j.Name] = true
	}
	return nil
}

// newScheduler returns the scheduler of m's maintenance jobs, started when
// Config.Maintenance.Run is set.
func (m *Meter) newScheduler() (*scheduler.Scheduler, error) {
	c := m.cfg.Maintenance
	jobs, err := m.maintenanceJobs()
	if err != nil {
		return nil, err
	}
	s, err := scheduler.New(scheduler.Options{
		Leases: m.store, Holder: c.Instance, LeaseTime: c.LeaseTime, CheckEvery: c.CheckEvery,
		Now: m.now, Logger: m.cfg.Logger,
		OnRun: func(r scheduler.Run) { m.tel.ran(r.Job, r.Took, r.Err) },
	}, jobs)
	if err != nil {
		return nil, fmt.Errorf("usage: maintenance: %w", err)
	}
	if c.Run {
		s.Start()
	}
	return s, nil
}

// RunMaintenance runs, side by side, every maintenance job whose current slot has
// not run yet on any instance, as the schedule of Config.Maintenance.Run would, and
// returns the runs it made: for hosts that schedule maintenance themselves. A job
// running on another instance, or on this one, is skipped. The error joins the
// failures of the runs and of the leases.
func (m *Meter) RunMaintenance(ctx context.Context) ([]MaintenanceRun, error) {
	if err := m.checkOpen(); err != nil {
		return nil, err
	}
	runs, err := m.scheduler.RunDue(ctx)
	out := make([]MaintenanceRun, len(runs))
	for i, r := range runs {
		out[i] = MaintenanceRun{Job: r.Job, Slot: r.Slot, Took: r.Took, Err: r.Err}
	}
	if err != nil {
		return out, fmt.Errorf("usage: maintenance: %w", err)
	}
	return out, nil
}
