package usage_test

import (
	"context"
	"fmt"
	"log"
	"slices"
	"time"

	"github.com/usagekit/usage"
)

// ExampleMeter_RunMaintenance runs one maintenance pass, as a host that schedules
// maintenance itself would: each job whose slot has not run yet runs once, on
// whichever instance gets to it first.
func ExampleMeter_RunMaintenance() {
	ctx := context.Background()
	st, done := openExampleStore(ctx)
	defer done()

	now := time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)
	m, err := usage.New(st, &usage.Config{
		Metrics: usage.ExampleMetrics(),
		Plans:   usage.ExamplePlans(),
		Maintenance: usage.MaintenanceConfig{
			Jobs: []usage.MaintenanceJob{{Name: "sync-crm", Every: 24 * time.Hour,
				Run: func(ctx context.Context) error { return nil }}},
		},
		Test: usage.TestConfig{Time: func() time.Time { return now }},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close(ctx)

	for pass := range 2 {
		runs, err := m.RunMaintenance(ctx)
		if err != nil {
			log.Fatal(err)
		}
		var jobs []string
		for _, r := range runs {
			jobs = append(jobs, r.Job+" for "+r.Slot.Format("2006-01-02 15:04"))
		}
		slices.Sort(jobs)
		fmt.Println("pass", pass+1, jobs)
	}
	// Output:
	// pass 1 [retention for 2026-03-15 10:00 sync-crm for 2026-03-15 00:00]
	// pass 2 []
}
