package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to create and drop schemas

	"github.com/usagekit/usage/store"
	"github.com/usagekit/usage/store/postgres"
)

// defaultDSN is the local server the tests use when USAGE_TEST_POSTGRES_DSN is unset.
const defaultDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Postgres is the server backend: one schema per test on the test server.
func Postgres() Backend {
	return Backend{
		Name:        "postgres",
		NewDatabase: newSchema,
		Open: func(ctx context.Context, dsn string, opts ...store.Option) (store.Store, error) {
			tagged, err := withProcessName(dsn)
			if err != nil {
				return nil, err
			}
			return postgres.Open(ctx, tagged, opts...)
		},
		Outage: postgresOutage,
		Settle: postgresSettle,
	}
}

// withProcessName names the connections of dsn for the schema and this process,
// "SCHEMA/PID", so that postgresSettle can tell a killed process's sessions apart.
func withProcessName(dsn string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("application_name", q.Get("search_path")+"/"+strconv.Itoa(os.Getpid()))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// postgresSettle waits until no other process has a session on the schema of dsn.
// The server finishes what a killed client had sent in full, and may commit it,
// before it notices the client is gone; once the session has ended, nothing more
// of that client can change the database.
func postgresSettle(t testing.TB, dsn string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	mine := schema + "/" + strconv.Itoa(os.Getpid())
	for {
		var others int
		err := db.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE $1 AND application_name <> $2",
			schema+"/%", mine).Scan(&others)
		if err != nil {
			t.Fatalf("settle: sessions of other processes on %s: %v", schema, err)
		}
		if others == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("settle: %d sessions of other processes still on %s", others, schema)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// baseDSN returns the server to test against, or skips t — except in CI, where a
// missing Postgres fails the test instead of hiding it.
func baseDSN(t testing.TB) string {
	dsn := os.Getenv("USAGE_TEST_POSTGRES_DSN")
	if dsn == "" {
		dsn = defaultDSN
	}
	db, err := sql.Open("pgx", dsn)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = db.PingContext(ctx)
		cancel()
		db.Close()
	}
	if err != nil {
		msg := "POSTGRES TESTS SKIPPED: no server at " + dsn + " (" + err.Error() + "); set USAGE_TEST_POSTGRES_DSN or run scripts/test, which starts one"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dsn
}

// newSchema creates an empty schema for one test and returns a DSN whose search_path
// selects it; the schema is dropped when the test ends.
func newSchema(t testing.TB) string {
	base := baseDSN(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "usage_test_" + hex.EncodeToString(b[:])
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer db.Close()
		if _, err := db.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("USAGE_TEST_POSTGRES_DSN must be a URL (postgres://…): %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// postgresOutage puts a TCP proxy on 127.0.0.1 in front of the server named by dsn
// and returns a DSN through it. cut closes every proxied connection and turns new
// ones away (accepted and closed at once) until restore; the store sees lost
// connections and failed connects, as when the server goes away.
func postgresOutage(t testing.TB, dsn string) (string, func(), func()) {
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "5432")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.serve)
	t.Cleanup(p.close)
	u.Host = ln.Addr().String()
	return u.String(), func() { p.setDown(true) }, func() { p.setDown(false) }
}

// proxy forwards TCP connections to target while up.
type proxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]struct{}
}

func (p *proxy) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			client.Close()
			continue
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			client.Close()
			server.Close()
			continue
		}
		p.conns[client], p.conns[server] = struct{}{}, struct{}{}
		p.mu.Unlock()
		// Each direction ends when either side closes; then both are closed.
		pipe := func(dst, src net.Conn) {
			io.Copy(dst, src)
			p.forget(client, server)
		}
		p.wg.Go(func() { pipe(server, client) })
		p.wg.Go(func() { pipe(client, server) })
	}
}

func (p *proxy) forget(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		c.Close()
		delete(p.conns, c)
	}
}

// setDown cuts (true) or restores (false) the proxy.
func (p *proxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
			delete(p.conns, c)
		}
	}
}

func (p *proxy) close() {
	p.ln.Close()
	p.setDown(true)
	p.wg.Wait()
}
