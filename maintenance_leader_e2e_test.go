package usage_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
)

// The leases of the leader test's children: short, so that the test is quick; the
// job's slot is a day, so only a takeover runs it again.
const (
	leaderLease = 3 * time.Second
	leaderCheck = 250 * time.Millisecond
	// leaderSlack is what a loaded machine may add to the takeover: starting the
	// job, printing the line, reading it.
	leaderSlack = 2 * time.Second
)

// leaderMaintenance is the maintenance of a child of the leader test: one job that
// says when it starts and runs until the instance stops.
func leaderMaintenance() usage.MaintenanceConfig {
	return usage.MaintenanceConfig{Run: true, LeaseTime: leaderLease, CheckEvery: leaderCheck,
		Retention: usage.RetentionConfig{Off: true},
		Jobs: []usage.MaintenanceJob{{Name: "long", Every: 24 * time.Hour, Run: func(ctx context.Context) error {
			fmt.Printf("started %d\n", os.Getpid())
			<-ctx.Done()
			return ctx.Err()
		}}}}
}

// runLeaderChild is a child of the leader test: its Meter runs maintenance until
// the test kills the process.
func runLeaderChild() error {
	fmt.Printf("ready %d\n", os.Getpid())
	time.Sleep(time.Hour)
	return nil
}

// childLine is a line a child printed, and when the test read it.
type childLine struct {
	word string
	pid  string
	at   time.Time
}

func TestAKilledMaintenanceLeaderIsTakenOverWithinTheLeaseTime(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		loc := db.NewDatabase(t)
		db.OpenAt(t, loc) // migrate before the children start
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		lines := make(chan childLine, 16)
		children := map[string]func(){}
		for range 3 {
			cmd := childCommand(ctx, db, scenarioLeader, loc)
			out, err := cmd.StdoutPipe()
			require.NoError(t, err)
			cmd.Stderr = os.Stderr
			require.NoError(t, cmd.Start())
			children[fmt.Sprint(cmd.Process.Pid)] = func() { cmd.Process.Kill() }
			t.Cleanup(func() {
				cmd.Process.Kill()
				cmd.Wait()
			})
			go func() {
				sc := bufio.NewScanner(out)
				for sc.Scan() {
					if word, pid, ok := strings.Cut(sc.Text(), " "); ok {
						lines <- childLine{word: word, pid: pid, at: time.Now()}
					}
				}
			}()
		}
		next := func(word string) childLine {
			t.Helper()
			for {
				select {
				case l := <-lines:
					if l.word == word {
						return l
					}
				case <-time.After(time.Minute):
					t.Fatalf("no child printed %q", word)
				}
			}
		}
		var leader childLine
		for ready := 0; ready < 3 || leader.pid == ""; {
			select {
			case l := <-lines:
				switch l.word {
				case "ready":
					ready++
				case "started":
					require.Empty(t, leader.pid, "one child runs the job")
					leader = l
				}
			case <-time.After(time.Minute):
				t.Fatal("the children did not start")
			}
		}
		killed := time.Now()
		children[leader.pid]()
		successor := next("started")
		require.NotEqual(t, leader.pid, successor.pid, "another instance runs the job")
		took := successor.at.Sub(killed)
		t.Logf("taken over %s after the kill", took)
		// The dead leader renewed its lease at most a third of its time before the
		// kill, so it expires within leaderLease, and a check finds it within
		// leaderCheck.
		require.Less(t, took, leaderLease+leaderCheck+leaderSlack, "the job is taken over within the lease time")
	})
}
