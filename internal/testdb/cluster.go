package testdb

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
)

// Cluster is a throwaway Postgres server of one test: its own data directory under
// t.TempDir() and a free port, so the test can restart, kill and start it without
// disturbing the shared test server. It runs as the postgres user when the test
// runs as root, which Postgres refuses to run as.
type Cluster struct {
	t       testing.TB
	dir     string
	pgCtl   string
	port    int
	asOwner []string // the command prefix that runs a binary as the cluster's owner
}

// NewCluster initialises and starts a throwaway cluster, stopped when the test ends.
// Without initdb it skips t with a loud message, and fails it when CI=true.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	skip := func(why string) {
		msg := "THROWAWAY POSTGRES CLUSTER SKIPPED: " + why
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	bin := postgresBin()
	if bin == "" {
		skip("no initdb and pg_ctl under /usr/lib/postgresql/*/bin or on PATH; install PostgreSQL to run this test")
	}
	c := &Cluster{t: t, dir: t.TempDir(), pgCtl: filepath.Join(bin, "pg_ctl"), port: freePort(t)}
	if os.Geteuid() == 0 {
		owner, err := user.Lookup("postgres")
		if err != nil {
			skip("running as root, and no postgres user to run the server as: " + err.Error())
		}
		uid, _ := strconv.Atoi(owner.Uid)
		// The owner must reach the data directory through the test's directories.
		for d := c.dir; d != os.TempDir() && d != "/" && d != "."; d = filepath.Dir(d) {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chown(c.dir, uid, -1); err != nil {
			t.Fatal(err)
		}
		c.asOwner = []string{"runuser", "-u", "postgres", "--"}
	}
	c.run(filepath.Join(bin, "initdb"), "-D", c.data(), "-U", "postgres", "--auth=trust", "--no-sync")
	c.Start()
	t.Cleanup(func() { c.runQuiet(c.pgCtl, "-D", c.data(), "-m", "immediate", "-w", "stop") })
	return c
}

// DSN is the cluster's postgres database.
func (c *Cluster) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Start starts the server and waits until it accepts connections.
func (c *Cluster) Start() {
	c.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off", c.port, c.dir)
	c.run(c.pgCtl, "-D", c.data(), "-l", filepath.Join(c.dir, "log"), "-w", "-o", opts, "start")
}

// Restart stops the server in mode ("fast": sessions are ended with 57P01) and
// starts it again, waiting until it accepts connections.
func (c *Cluster) Restart(mode string) {
	c.t.Helper()
	c.run(c.pgCtl, "-D", c.data(), "-l", filepath.Join(c.dir, "log"), "-m", mode, "-w", "restart")
}

// Stop stops the server in mode ("immediate": killed at once, recovery on start).
func (c *Cluster) Stop(mode string) {
	c.t.Helper()
	c.run(c.pgCtl, "-D", c.data(), "-m", mode, "-w", "stop")
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

func (c *Cluster) run(name string, args ...string) {
	c.t.Helper()
	if out, err := c.command(name, args...).CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		c.t.Fatalf("%s %v: %v\n%s\nserver log:\n%s", filepath.Base(name), args, err, out, log)
	}
}

func (c *Cluster) runQuiet(name string, args ...string) {
	_ = c.command(name, args...).Run()
}

func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	argv := append(append(append([]string{}, c.asOwner...), name), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = c.dir
	return cmd
}

// postgresBin is the directory of initdb and pg_ctl: the newest under
// /usr/lib/postgresql, else the one on PATH; "" when there is none.
func postgresBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i]
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

// freePort is a TCP port nothing listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
