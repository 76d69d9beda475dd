// Command reports writes every report type in every format for a tenant with a
// month of usage: the summary, detailed, forecast and anomaly reports as CSV,
// JSON, XLSX and PDF, sixteen files in a folder, and prints their names and sizes.
// The clock is injected, so the month passes in an instant.
//
//	go run ./examples/reports [-dir reports] [-db usage.db]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/report"
	"github.com/usagekit/usage/store/sqlite"
)

func main() {
	dir := flag.String("dir", "reports", "folder to write the reports to, created if missing")
	dbPath := flag.String("db", "", "SQLite file to use (default: a new file in a temporary folder, removed at exit)")
	flag.Parse()
	if err := run(context.Background(), *dir, *dbPath, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// clock is the injected time: the example moves it through the month.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func run(ctx context.Context, dir, dbPath string, out io.Writer) error {
	if dbPath == "" {
		tmp, err := os.MkdirTemp("", "usage-reports")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dbPath = filepath.Join(tmp, "usage.db")
	}
	st, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer st.Close()
	lisbon, err := time.LoadLocation("Europe/Lisbon")
	if err != nil {
		return err
	}
	c := &clock{now: time.Date(2026, 3, 1, 8, 0, 0, 0, lisbon)}
	m, err := usage.New(st, &usage.Config{Metrics: usage.ExampleMetrics(), Plans: usage.ExamplePlans(),
		Test: usage.TestConfig{Time: c.Now}})
	if err != nil {
		return err
	}
	defer m.Close(ctx)
	const tenant = "Café Ωmega"
	if err := m.Assign(ctx, usage.Assignment{Subject: tenant, Plan: "professional", TimeZone: "Europe/Lisbon"}); err != nil {
		return err
	}
	if err := trackMonth(ctx, m, c, tenant, lisbon); err != nil {
		return err
	}
	// Anomaly detection looks at the hourly series: the spike of the 20th is found.
	if _, err := m.DetectAnomalies(ctx, tenant, usage.MetricAPICalls, usage.DetectOptions{}); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, typ := range report.Types() {
		for _, f := range report.Formats() {
			name := filepath.Join(dir, fmt.Sprintf("%s.%s", typ, f.Ext()))
			size, err := write(ctx, m, usage.ReportRequest{Type: typ, Format: f, Subject: tenant}, name)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%-16s %8d bytes\n", filepath.Base(name), size)
		}
	}
	return nil
}

// trackMonth tracks the usage of March up to the 28th, a day at a time: API calls
// through working hours with a spike on the 20th, documents and storage readings.
func trackMonth(ctx context.Context, m *usage.Meter, c *clock, tenant string, loc *time.Location) error {
	for day := 1; day <= 27; day++ {
		var events []usage.Event
		for hour := 8; hour < 20; hour++ {
			calls := 20 + 3*day + hour%5
			if day == 20 && hour == 15 {
				calls *= 30
			}
			at := time.Date(2026, 3, day, hour, 0, 0, 0, loc)
			events = append(events,
				usage.Event{ID: fmt.Sprintf("calls-%d-%d", day, hour), Subject: tenant, Metric: usage.MetricAPICalls,
					Value: float64(calls), Time: at},
				usage.Event{ID: fmt.Sprintf("docs-%d-%d", day, hour), Subject: tenant, Metric: usage.MetricDocuments,
					Value: float64(1 + hour%3), Time: at})
		}
		events = append(events, usage.Event{ID: fmt.Sprintf("disk-%d", day), Subject: tenant,
			Metric: usage.MetricStorageGB, Value: 10 + 1.5*float64(day),
			Time: time.Date(2026, 3, day, 23, 0, 0, 0, loc)})
		c.now = time.Date(2026, 3, day+1, 0, 30, 0, 0, loc)
		res, err := m.TrackBatch(ctx, events)
		if err != nil {
			return err
		}
		for _, r := range res {
			if r.Err != nil {
				return r.Err
			}
		}
	}
	c.now = time.Date(2026, 3, 28, 9, 0, 0, 0, loc)
	return nil
}

// write generates one report into the file name, and returns its size.
func write(ctx context.Context, m *usage.Meter, req usage.ReportRequest, name string) (int64, error) {
	f, err := os.Create(name)
	if err != nil {
		return 0, err
	}
	if err := m.GenerateReport(ctx, req, f); err != nil {
		f.Close()
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	info, err := os.Stat(name)
	if err != nil {
		return 0, err
	}
	return info.Size(), nil
}
