package usage_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store/storetest"
)

// Environment of a child process: its tag (to make event IDs unique) and when to
// start, in Unix nanoseconds.
const (
	envTag   = "USAGE_E2E_TAG"
	envStart = "USAGE_E2E_START"
)

// processCount and workersPerProcess shape the multi-process test: several processes
// of many goroutines each, on one database.
const (
	processCount      = 2
	workersPerProcess = 64
)

func TestLimitHoldsExactlyAcrossProcesses(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		loc := db.NewDatabase(t)
		st := db.OpenAt(t, loc) // migrate before the children race
		// The children start consuming together, once all have opened the store.
		outputs, errs := spawnAll(t, db, scenarioConsume, loc, processCount, time.Now().Add(3*time.Second))()
		var admitted int64
		var count int
		var firsts, lasts []time.Time
		for p := range processCount {
			require.NoError(t, errs[p], "child %d", p)
			r := parseConsumed(t, outputs[p])
			admitted += r.admitted
			count += r.count
			firsts = append(firsts, r.first)
			lasts = append(lasts, r.last)
		}
		require.True(t, slices.MaxFunc(firsts, time.Time.Compare).Before(slices.MinFunc(lasts, time.Time.Compare)),
			"the processes consumed at the same time: first attempts %v, last %v", firsts, lasts)
		require.Equal(t, int64(creditLimit*unit), admitted, "exactly the limit is admitted across processes")
		var stored int64
		events := listEvents(t, st, "shared")
		for _, e := range events {
			stored += e.Value
		}
		require.Equal(t, admitted, stored, "stored usage equals the acknowledged total")
		require.Equal(t, count, len(events))
	})
}

// runConsumeChild is a child of TestLimitHoldsExactlyAcrossProcesses: at the start
// time it consumes credits of "shared" until the quota is full, and prints what it
// was admitted.
func runConsumeChild(ctx context.Context, m *usage.Meter) error {
	start, err := strconv.ParseInt(os.Getenv(envStart), 10, 64)
	if err != nil {
		return fmt.Errorf("%s: %w", envStart, err)
	}
	time.Sleep(time.Until(time.Unix(0, start)))
	r := consume(ctx, m, "shared", workersPerProcess, os.Getenv(envTag))
	fmt.Printf("consumed %d %d %d %d\n", r.admitted, r.count, r.first.UnixNano(), r.last.UnixNano())
	return nil
}

// spawnAll starts n children running scenario, tagged p0, p1, …, and returns a
// function that waits for them all and returns what each printed, and how it ended.
func spawnAll(t *testing.T, db testdb.Backend, scenario, loc string, n int, start time.Time) (wait func() ([]string, []error)) {
	return storetest.RunAll(n, func(ctx context.Context, p int) *exec.Cmd {
		return childCommand(ctx, db, scenario, loc, envTag+"="+fmt.Sprint("p", p), envStart+"="+strconv.FormatInt(start.UnixNano(), 10))
	})
}

func parseConsumed(t *testing.T, out string) consumed {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		fields := strings.Fields(line)
		if len(fields) != 5 || fields[0] != "consumed" {
			continue
		}
		var nums [4]int64
		for i := range nums {
			n, err := strconv.ParseInt(fields[i+1], 10, 64)
			require.NoError(t, err)
			nums[i] = n
		}
		return consumed{admitted: nums[0], count: int(nums[1]),
			first: time.Unix(0, nums[2]), last: time.Unix(0, nums[3])}
	}
	t.Fatalf("child printed no result: %q", out)
	return consumed{}
}
