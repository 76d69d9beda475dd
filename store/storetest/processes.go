package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// processesTests are the contract across processes: several stores in separate
// processes on one database, and processes killed while they ingest.
var processesTests = []test{
	{"IngestHoldsTheLimitExactlyAcrossProcesses", ingestHoldsTheLimitExactlyAcrossProcesses},
	{"IngestKeepsEveryAcknowledgedBatchThroughKills", ingestKeepsEveryAcknowledgedBatchThroughKills},
}

// Child process scenarios: a child opens the store with the Harness and runs one.
const (
	scenarioConsume = "consume"
	scenarioCrash   = "crash"
)

// Environment of a child: its tag (to make event IDs unique) and when to start, in
// Unix nanoseconds.
const (
	envTag   = "USAGE_STORETEST_TAG"
	envStart = "USAGE_STORETEST_START"
)

const (
	processCount      = 3
	workersPerProcess = 32
	// consumeLimit is the limit, in units, of the quota the processes share.
	consumeLimit = 1000
	// crashRounds children are killed one after another on one database.
	crashRounds  = 10
	crashWorkers = 8
	// The kill lands this long after the child reports it started.
	crashMinDelay = 50 * time.Millisecond
	crashMaxDelay = 300 * time.Millisecond
	// childLifetime bounds a child the parent fails to kill.
	childLifetime = 30 * time.Second
)

// consumeAmounts are the units a request asks for. All are multiples of the first,
// so once a request of the first is refused the quota is exactly full.
var consumeAmounts = []float64{0.5, 1, 2.5, 7, 13}

// runChild is the child side: it opens the store at loc and runs the scenario.
func runChild(scenario, loc string, h Harness) error {
	ctx := context.Background()
	st, err := h.Open(ctx, loc)
	if err != nil {
		return err
	}
	defer st.Close()
	out := &Lines{W: os.Stdout}
	switch scenario {
	case scenarioConsume:
		start, err := strconv.ParseInt(os.Getenv(envStart), 10, 64)
		if err != nil {
			return fmt.Errorf("%s: %w", envStart, err)
		}
		time.Sleep(time.Until(time.Unix(0, start)))
		return consume(ctx, st, os.Getenv(envTag), out)
	case scenarioCrash:
		return ingestUntilKilled(ctx, st, os.Getenv(envTag), NewCrashReport(os.Stdout))
	default:
		return fmt.Errorf("unknown scenario %q", scenario)
	}
}

// consume takes credits of the shared quota from many goroutines, one event per
// Ingest, until a request of the smallest amount is refused. It prints "ack ID
// VALUE" per admitted event and "done FIRST LAST" at the end.
func consume(ctx context.Context, st store.Store, tag string, out *Lines) error {
	first := time.Now()
	errs := make([]error, workersPerProcess)
	var wg sync.WaitGroup
	for w := range workersPerProcess {
		wg.Go(func() {
			for i := 0; ; i++ {
				amount := consumeAmounts[(w+i)%len(consumeAmounts)]
				id := fmt.Sprintf("%s-%d-%d", tag, w, i)
				res, err := st.Ingest(ctx, &store.IngestParams{Now: storeNow, Events: []store.IngestEvent{
					ingestEvent("shared", id, "credits", amount, store.AggregationSum, consumeLimit, false)}})
				switch {
				case err != nil:
					errs[w] = fmt.Errorf("ingest %s: %w", id, err)
					return
				case res.Outcomes[0].Status == store.StatusInserted:
					if errs[w] = out.Printf("ack %s %v", id, amount); errs[w] != nil {
						return
					}
				case res.Outcomes[0].Status != store.StatusQuotaExceeded:
					errs[w] = fmt.Errorf("ingest %s: %v", id, res.Outcomes[0].Status)
					return
				case amount == consumeAmounts[0]:
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return out.Printf("done %d %d", first.UnixNano(), time.Now().UnixNano())
}

func ingestHoldsTheLimitExactlyAcrossProcesses(t *testing.T, h Harness) {
	t.Parallel()
	loc := h.NewDatabase(t)
	st := openAt(t, h, loc) // migrate before the children race
	wait := spawnAll(scenarioConsume, loc, processCount, time.Now().Add(5*time.Second))
	// While they run, the quota is never seen past its limit, nor going down.
	done := make(chan struct{})
	var polls int
	var watcher sync.WaitGroup
	watcher.Go(func() {
		var last int64
		for {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
			res, err := st.GetQuotas(context.Background(), &store.GetQuotasParams{Subject: "shared", Metrics: []string{"credits"}, At: storeNow})
			if !assert.NoError(t, err) {
				return
			}
			for _, q := range res.Quotas {
				// One report is enough: stop watching at the first.
				if !assert.LessOrEqual(t, q.Used, int64(consumeLimit*unit), "usage past its limit while consuming") ||
					!assert.GreaterOrEqual(t, q.Used, last, "usage went down") {
					return
				}
				last = q.Used
			}
			polls++
		}
	})
	outputs, errs := wait()
	close(done)
	watcher.Wait()
	acked := map[EventKey]int64{}
	var total int64
	var firsts, lasts []int64
	for p := range processCount {
		require.NoError(t, errs[p], "child %d", p)
		for _, line := range strings.Split(strings.TrimSpace(outputs[p]), "\n") {
			f := strings.Fields(line)
			switch {
			case len(f) == 3 && f[0] == "ack":
				v, err := strconv.ParseFloat(f[2], 64)
				require.NoError(t, err)
				acked[EventKey{"shared", f[1]}] = int64(v * unit)
				total += int64(v * unit)
			case len(f) == 3 && f[0] == "done":
				a, err1 := strconv.ParseInt(f[1], 10, 64)
				b, err2 := strconv.ParseInt(f[2], 10, 64)
				require.NoError(t, errors.Join(err1, err2))
				firsts, lasts = append(firsts, a), append(lasts, b)
			default:
				t.Fatalf("child %d printed %q", p, line)
			}
		}
	}
	require.Len(t, firsts, processCount, "every child finished")
	require.Less(t, slices.Max(firsts), slices.Min(lasts), "the processes ingested at the same time")
	require.Equal(t, int64(consumeLimit*unit), total, "exactly the limit is admitted across processes")
	stored := StoredEvents(t, st, "shared")
	require.Len(t, stored, len(acked), "the stored events are the admitted ones")
	for k, v := range acked {
		require.Equal(t, v, stored[k].Value, "admitted event %s is stored", k.ID)
	}
	require.Equal(t, int64(consumeLimit*unit), getQuota(t, st, "shared", "credits").Used)
	t.Logf("%d events admitted across %d processes; the quota polled %d times while they ran", len(acked), processCount, polls)
}

// ingestUntilKilled ingests batches of one to eight events from several goroutines
// until the process is killed (or its lifetime ends). Before each Ingest it prints
// "attempt SUBJECT ID VALUE" per event, after each nil return "ack SUBJECT ID" per
// event, so the parent knows what was attempted and what acknowledged.
func ingestUntilKilled(ctx context.Context, st store.Store, tag string, report *CrashReport) error {
	if err := report.Started(); err != nil {
		return err
	}
	return RunWorkers(crashWorkers, childLifetime, func(w, i int) error {
		batch := make([]store.IngestEvent, 1+(w+i)%8)
		for j := range batch {
			batch[j] = crashEvent(fmt.Sprint("crash-", (w+j)%4), fmt.Sprintf("%s-%d-%d-%d", tag, w, i, j), float64(1+(w+i+j)%7)/2)
			if err := report.Attempt(batch[j].Event.Subject, batch[j].Event.ID, float64(batch[j].Event.Value)/unit); err != nil {
				return err
			}
		}
		if _, err := st.Ingest(ctx, &store.IngestParams{Events: batch, Now: storeNow}); err != nil {
			return err
		}
		for _, e := range batch {
			if err := report.Ack(e.Event.Subject, e.Event.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

// crashEvent is an event of the crash test: unlimited, so every one is admitted.
func crashEvent(subject, id string, value float64) store.IngestEvent {
	return ingestEvent(subject, id, "api_calls", value, store.AggregationSum, -1, false)
}

// ingestKeepsEveryAcknowledgedBatchThroughKills kills ingesting processes with
// SIGKILL, round after round on one database: every acknowledged event is stored,
// every stored one was attempted, quotas are the sum of the stored events, and
// sending the unacknowledged events again stores each once.
func ingestKeepsEveryAcknowledgedBatchThroughKills(t *testing.T, h Harness) {
	loc := h.NewDatabase(t)
	st := openAt(t, h, loc) // migrated before the first child
	log := NewCrashLog()
	for round := range crashRounds {
		tag := fmt.Sprint("r", round)
		log.KillRound(t, tag, crashMinDelay+rand.N(crashMaxDelay-crashMinDelay), func(ctx context.Context) *exec.Cmd {
			return childCommand(ctx, scenarioCrash, loc, envTag+"="+tag)
		})
	}
	if h.Settle == nil {
		t.Fatal("Harness.Settle is required by the kill tests")
	}
	h.Settle(t, loc)
	require.NotEmpty(t, log.Acked, "the children acknowledged events before being killed")
	require.Greater(t, len(log.Attempted), len(log.Acked), "the kills interrupted calls in progress")
	subjects := []string{"crash-0", "crash-1", "crash-2", "crash-3"}
	stored := StoredEvents(t, st, subjects...)
	RequireStored(t, log.Acked, stored)
	for k, e := range stored {
		v, ok := log.Attempted[k]
		require.True(t, ok, "stored event %s of %s was attempted", k.ID, k.Subject)
		require.Equal(t, int64(v*unit), e.Value, "event %s is stored with its payload", k.ID)
	}
	RequireUsageIsStoredEvents(t, st, "api_calls", storeNow, stored, subjects...)

	var resend []store.IngestEvent
	for k, v := range log.Attempted {
		if !log.Acked[k] {
			resend = append(resend, crashEvent(k.Subject, k.ID, v))
		}
	}
	out := ingest(t, st, resend...)
	for i, o := range out {
		k := EventKey{resend[i].Event.Subject, resend[i].Event.ID}
		if _, was := stored[k]; was {
			require.Equal(t, store.StatusDuplicate, o.Status, "resending stored event %s is a replay", k.ID)
		} else {
			require.Equal(t, store.StatusInserted, o.Status, "event %s was not stored", k.ID)
		}
	}
	stored = StoredEvents(t, st, subjects...)
	require.Len(t, stored, len(log.Attempted), "after the resend every attempted event is stored, once")
	RequireUsageIsStoredEvents(t, st, "api_calls", storeNow, stored, subjects...)
	t.Logf("%d attempted, %d acknowledged", len(log.Attempted), len(log.Acked))
}

// spawnAll starts n children running scenario, tagged p0, p1, …, and returns a
// function that waits for them all and returns what each printed, and how it ended.
func spawnAll(scenario, loc string, n int, start time.Time) (wait func() ([]string, []error)) {
	return RunAll(n, func(ctx context.Context, p int) *exec.Cmd {
		return childCommand(ctx, scenario, loc, envTag+"="+fmt.Sprint("p", p), envStart+"="+strconv.FormatInt(start.UnixNano(), 10))
	})
}

// childCommand returns a command that runs this test binary as a child process on
// scenario, with a store on the database at loc, and the extra environment.
func childCommand(ctx context.Context, scenario, loc string, env ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"="+scenario, envLocation+"="+loc)
	cmd.Env = append(cmd.Env, env...)
	return cmd
}
