package usage_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
)

// Environment variables that turn this test binary into a child process of a
// multi-process test: the scenario to run, and the backend and database to run it on.
const (
	envChild    = "USAGE_E2E_CHILD"
	envBackend  = "USAGE_E2E_BACKEND"
	envLocation = "USAGE_E2E_LOCATION"
)

// Child process scenarios.
const (
	scenarioConsume           = "consume"
	scenarioCrash             = "crash"
	scenarioInstances         = "instances"
	scenarioAlertKill         = "alert-kill"
	scenarioLeader            = "leader"
	scenarioPeriodStart       = "period-start"
	scenarioInstancesEvicting = "instances-evicting"
)

// TestMain runs a child process's scenario when a multi-process test started this
// binary as one, and the tests otherwise.
func TestMain(m *testing.M) {
	if scenario := os.Getenv(envChild); scenario != "" {
		if err := runChild(scenario, os.Getenv(envBackend), os.Getenv(envLocation)); err != nil {
			fmt.Fprintln(os.Stderr, "e2e child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// childCommand returns a command that runs this test binary as a child process on
// scenario, with a Meter over the database of db at loc, and the extra environment.
func childCommand(ctx context.Context, db testdb.Backend, scenario, loc string, env ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"="+scenario, envBackend+"="+db.Name, envLocation+"="+loc)
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// runChild is the child side: it opens a store of the backend at loc, a Meter on it,
// and runs the scenario.
func runChild(scenario, backend, loc string) error {
	db, ok := testdb.Lookup(backend)
	if !ok {
		return fmt.Errorf("unknown backend %q", backend)
	}
	ctx := context.Background()
	var opts []store.Option
	if scenario == scenarioInstancesEvicting {
		opts = append(opts, store.WithRememberedRows(evictingCacheSize))
	}
	st, err := db.Open(ctx, loc, opts...)
	if err != nil {
		return err
	}
	defer st.Close()
	cfg := e2eConfig(time.Now)
	if scenario == scenarioLeader {
		cfg.Maintenance = leaderMaintenance()
	}
	if scenario == scenarioInstancesEvicting {
		cfg.AssignmentCacheSize, cfg.QuotaCacheSize = evictingCacheSize, evictingCacheSize
	}
	m, err := usage.New(st, cfg)
	if err != nil {
		return err
	}
	defer m.Close(ctx)
	switch scenario {
	case scenarioConsume:
		return runConsumeChild(ctx, m)
	case scenarioCrash:
		return runCrashChild(ctx, m)
	case scenarioInstances, scenarioInstancesEvicting:
		return runInstancesChild(ctx, m)
	case scenarioAlertKill:
		return runAlertKillChild(ctx, st)
	case scenarioLeader:
		return runLeaderChild()
	case scenarioPeriodStart:
		return runPeriodStartChild(ctx, m)
	default:
		return fmt.Errorf("unknown scenario %q", scenario)
	}
}
