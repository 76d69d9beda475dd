// Command alerts shows alerts end to end on the embedded SQLite store: it starts a
// local webhook receiver that verifies each request with package webhook, tracks
// api_calls of a tenant past 80, 90 and 100 % of its Basic plan, and prints the
// three webhooks as the receiver got them.
//
//	go run ./examples/alerts
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/store/sqlite"
	"github.com/usagekit/usage/webhook"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// received is a verified webhook as the receiver got it.
type received struct {
	id   string
	body []byte
}

func run(ctx context.Context, out io.Writer) error {
	dir, err := os.MkdirTemp("", "usage-alerts")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// The endpoint's secret: the sender signs with it, the receiver verifies.
	secret, err := webhook.GenerateSecret()
	if err != nil {
		return err
	}
	hooks, stop, url, err := startReceiver(secret.String())
	if err != nil {
		return err
	}
	defer stop()

	st, err := sqlite.Open(ctx, filepath.Join(dir, "usage.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	notifier, err := usage.NewWebhookNotifier(url, nil, secret.String())
	if err != nil {
		return err
	}
	m, err := usage.New(st, &usage.Config{
		Metrics: usage.ExampleMetrics(),
		Plans:   usage.ExamplePlans(), // Basic includes 1,000 api_calls a month
		Alerts: usage.AlertConfig{
			Notifiers:    map[string]usage.Notifier{"billing-service": notifier},
			DeliveryPoll: 50 * time.Millisecond, // a demo wants them at once
		},
	})
	if err != nil {
		return err
	}
	defer m.Close(ctx)
	if err := m.Assign(ctx, usage.Assignment{Subject: "acme", Plan: "basic"}); err != nil {
		return err
	}

	for i, calls := range []float64{700, 150, 100, 60} { // 70, 85, 95, 101 %
		if _, err := m.Track(ctx, usage.Event{Subject: "acme", ID: fmt.Sprint("batch-", i),
			Metric: usage.MetricAPICalls, Value: calls}); err != nil {
			return err
		}
	}
	// Deliveries run side by side, so they may arrive in any order: sorted by alert.
	type hook struct {
		id   string
		Type string      `json:"type"`
		Data usage.Alert `json:"data"`
	}
	var got []hook
	for len(got) < 3 {
		select {
		case h := <-hooks:
			var body hook
			if err := json.Unmarshal(h.body, &body); err != nil {
				return err
			}
			body.id = h.id
			got = append(got, body)
		case <-time.After(30 * time.Second):
			return fmt.Errorf("%d webhooks within 30s, want 3", len(got))
		}
	}
	slices.SortFunc(got, func(a, b hook) int { return cmp.Compare(a.Data.ID, b.Data.ID) })
	fmt.Fprintln(out, "acme used 1,010 of its 1,000 api_calls; the receiver verified:")
	for _, h := range got {
		fmt.Fprintf(out, "  %s %s [%s] %s\n", h.id, h.Type, h.Data.Severity, h.Data.Message)
	}
	return nil
}

// startReceiver serves a webhook endpoint on a free local port that verifies each
// request and passes the verified ones on.
func startReceiver(secret string) (<-chan received, func(), string, error) {
	verifier, err := webhook.NewVerifier(secret)
	if err != nil {
		return nil, nil, "", err
	}
	hooks := make(chan received, 16)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, "", err
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		if err := verifier.Verify(r.Header, body); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		hooks <- received{id: r.Header.Get(webhook.HeaderID), body: body}
		w.WriteHeader(http.StatusNoContent)
	})}
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	return hooks, func() { srv.Close() }, "http://" + ln.Addr().String() + "/hooks/usage", nil
}
