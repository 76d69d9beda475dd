// Command metrics shows the Meter's OpenTelemetry instruments scraped as Prometheus
// metrics: it gives the Meter a MeterProvider whose reader is the OpenTelemetry
// Prometheus exporter, tracks some events (one replayed, one over a limit), runs a
// maintenance pass, and prints what a Prometheus server would scrape. With -listen
// it then serves /metrics until interrupted.
//
//	go run ./examples/metrics [-listen :9464]
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/store/sqlite"
)

func main() {
	listen := flag.String("listen", "", "address to serve /metrics on after the run (default: print and exit)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, *listen); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, out io.Writer, listen string) error {
	dir, err := os.MkdirTemp("", "usage-metrics")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(ctx, filepath.Join(dir, "usage.db"))
	if err != nil {
		return err
	}
	defer st.Close()

	// The exporter is an OpenTelemetry reader that answers Prometheus scrapes from
	// its own registry.
	registry := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(registry))
	if err != nil {
		return err
	}
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	defer provider.Shutdown(context.Background())

	m, err := usage.New(st, &usage.Config{
		Metrics:       usage.ExampleMetrics(),
		Plans:         usage.ExamplePlans(),
		DefaultPlan:   "basic",
		MeterProvider: provider,
	})
	if err != nil {
		return err
	}
	defer m.Close(ctx)

	for i := range 20 {
		if _, err := m.Track(ctx, usage.Event{ID: fmt.Sprint("req-", i), Subject: "acme", Metric: usage.MetricAPICalls, Value: 1}); err != nil {
			return err
		}
	}
	if _, err := m.Track(ctx, usage.Event{ID: "req-0", Subject: "acme", Metric: usage.MetricAPICalls, Value: 1}); err != nil {
		return err // a replay: stored once, counted as replayed
	}
	for _, user := range []string{"ana", "bruno", "carla", "duarte"} {
		// Basic includes three users without overage: the fourth is refused.
		_, err := m.Track(ctx, usage.Event{ID: "login-" + user, Subject: "acme", User: user, Metric: usage.MetricUsers})
		if err != nil && !errors.Is(err, usage.ErrQuotaExceeded) {
			return err
		}
	}
	if _, err := m.RunMaintenance(ctx); err != nil {
		return err
	}

	handler := promhttp.HandlerFor(registry, promhttp.HandlerOpts{})
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "usage_") {
			fmt.Fprintln(out, line)
		}
	}
	if listen == "" {
		return nil
	}
	srv := &http.Server{Addr: listen, Handler: handler}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Fprintf(out, "serving /metrics on %s until interrupted\n", listen)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
