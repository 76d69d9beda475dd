// Command saas is a small SaaS service metered with usage: two endpoints behind the
// httpmw middleware, the REST API of httpapi under /usage/ and its dashboard at
// /usage/dashboard/, API keys for three demo tenants and an operator, and a month of
// demo usage seeded at start.
//
//	go run ./examples/saas [-addr localhost:8080] [-db usage.db]
//
// It prints the dashboard's URL and the keys to sign in with. acme is close to its
// API call limit and over its documents, so alerts are raised and overage billed;
// globex had a spike that the anomaly detection found; initech is quiet. The
// operator's key shows the top consumers. The metered endpoints take the same keys:
//
//	curl -H 'Authorization: Bearer <key>' localhost:8080/api/search
//	curl -X POST -H 'Authorization: Bearer <key>' localhost:8080/api/documents
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"time"
)

func main() {
	addr := flag.String("addr", "localhost:8080", "address to listen on")
	dbPath := flag.String("db", "", "SQLite file to use (default: a new file in a temporary folder, removed at exit); demo usage is seeded when it has none")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *addr, *dbPath, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, addr, dbPath string, out io.Writer) error {
	if dbPath == "" {
		dir, err := os.MkdirTemp("", "usage-saas")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dbPath = filepath.Join(dir, "usage.db")
	}
	start := time.Now()
	a, err := openApp(ctx, dbPath, reportDirOf(dbPath))
	if err != nil {
		return err
	}
	defer a.close(context.Background())
	seeded := time.Since(start)

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: a.handler, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	printWelcome(out, "http://"+ln.Addr().String(), a.keys, seeded)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func printWelcome(out io.Writer, base string, keys *keyring, ready time.Duration) {
	fmt.Fprintf(out, "Ready in %s. Open the dashboard:\n\n  %s/usage/dashboard/\n\nand sign in with an API key:\n\n",
		ready.Round(10*time.Millisecond), base)
	for _, t := range demoTenants() {
		fmt.Fprintf(out, "  %-9s %s  (%s)\n", t.subject, keys.key(t.subject), t.note)
	}
	fmt.Fprintf(out, "  %-9s %s  (top consumers)\n\n", operatorName, keys.key(operatorName))
	fmt.Fprintf(out, "Metered endpoints, with a tenant's key:\n\n"+
		"  curl -H 'Authorization: Bearer %s' %s/api/search\n"+
		"  curl -X POST -H 'Authorization: Bearer %s' %s/api/documents\n\n"+
		"The API's OpenAPI document: %s/usage/openapi.json\n",
		keys.key("acme"), base, keys.key("acme"), base, base)
}
