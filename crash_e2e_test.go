package usage_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store/storetest"
)

// The crash drill: a child process ingests through a Meter with many goroutines and
// is killed with SIGKILL at a random moment, round after round on one database.
// Before each Track it prints "attempt", after each nil return "ack", so the parent
// knows what was attempted and what was acknowledged when the kill landed.

// envEventTime is the time of every event of the drill, in Unix microseconds: a
// resend must carry the same payload, and all events count in one period.
const envEventTime = "USAGE_E2E_EVENT_TIME"

const (
	crashRounds   = 30
	crashWorkers  = 16
	crashSubjects = 4
	crashMetric   = usage.MetricAPICalls // unlimited on the tests' default plan
	// crashChildLifetime bounds a child the parent fails to kill.
	crashChildLifetime = 30 * time.Second
	// The kill lands this long after the child reports it started.
	crashMinDelay = 50 * time.Millisecond
	crashMaxDelay = 400 * time.Millisecond
)

// crashEvent is an attempted event as the child reported it.
type crashEvent struct {
	subject, id string
	value       float64
}

func (e crashEvent) event(at time.Time) usage.Event {
	return usage.Event{ID: e.id, Subject: e.subject, Metric: crashMetric, Value: e.value, Time: at}
}

// runCrashChild ingests until it is killed (or its lifetime ends).
func runCrashChild(ctx context.Context, m *usage.Meter) error {
	us, err := strconv.ParseInt(os.Getenv(envEventTime), 10, 64)
	if err != nil {
		return fmt.Errorf("%s: %w", envEventTime, err)
	}
	at := time.UnixMicro(us)
	tag := os.Getenv(envTag)
	report := storetest.NewCrashReport(os.Stdout)
	// send tracks ev and reports it attempted before, acknowledged after.
	send := func(ev crashEvent) error {
		if err := report.Attempt(ev.subject, ev.id, ev.value); err != nil {
			return err
		}
		if _, err := m.Track(ctx, ev.event(at)); err != nil {
			return fmt.Errorf("track %s: %w", ev.id, err)
		}
		return report.Ack(ev.subject, ev.id)
	}
	// Warm up first, so that the kill lands in steady ingestion: one event per
	// subject resolves the plans and opens connections.
	for s := range crashSubjects {
		if err := send(crashEvent{subject: fmt.Sprint("crash-", s), id: tag + "-warm", value: 1}); err != nil {
			return err
		}
	}
	if err := report.Started(); err != nil {
		return err
	}
	return storetest.RunWorkers(crashWorkers, crashChildLifetime, func(w, i int) error {
		return send(crashEvent{subject: fmt.Sprint("crash-", w%crashSubjects), id: fmt.Sprintf("%s-%d-%d", tag, w, i),
			value: float64(1+(w+i)%7) / 2})
	})
}

// TestKilledProcessesLoseNothingAcknowledged is the crash drill. It is heavy, and
// its kills are timed, so it does not run beside the other tests; its two backends
// run side by side.
func TestKilledProcessesLoseNothingAcknowledged(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		t.Parallel()
		testCrashDrill(t, db)
	})
}

func testCrashDrill(t *testing.T, db testdb.Backend) {
	ctx := context.Background()
	loc := db.NewDatabase(t)
	st := db.OpenAt(t, loc) // migrated before the first child
	at := time.Now().Add(-time.Minute).Truncate(time.Microsecond)
	log := storetest.NewCrashLog()
	for round := range crashRounds {
		delay := crashMinDelay + rand.N(crashMaxDelay-crashMinDelay)
		before, beforeAcked := len(log.Attempted), len(log.Acked)
		tag := fmt.Sprint("r", round)
		log.KillRound(t, tag, delay, func(ctx context.Context) *exec.Cmd {
			return childCommand(ctx, db, scenarioCrash, loc, envTag+"="+tag, envEventTime+"="+strconv.FormatInt(at.UnixMicro(), 10))
		})
		t.Logf("round %d: killed %v after start: %d attempted, %d acknowledged", round, delay,
			len(log.Attempted)-before, len(log.Acked)-beforeAcked)
	}
	db.Settle(t, loc)
	unacked := len(log.Attempted) - len(log.Acked)
	require.NotZero(t, len(log.Acked), "the children acknowledged events before being killed")
	require.NotZero(t, unacked, "the kills interrupted calls in progress")

	subjects := make([]string, crashSubjects)
	for i := range subjects {
		subjects[i] = fmt.Sprint("crash-", i)
	}
	stored := storetest.StoredEvents(t, st, subjects...)
	storetest.RequireStored(t, log.Acked, stored)
	storedUnacked := 0
	for k, e := range stored {
		v, ok := log.Attempted[k]
		require.True(t, ok, "stored event %s of %s was attempted", k.ID, k.Subject)
		require.Equal(t, int64(v*unit), e.Value, "event %s is stored with its payload", k.ID)
		require.Equal(t, crashMetric, e.Metric)
		if !log.Acked[k] {
			storedUnacked++
		}
	}
	t.Logf("%d attempted, %d acknowledged, %d stored (%d of them unacknowledged)",
		len(log.Attempted), len(log.Acked), len(stored), storedUnacked)

	// Resend what was not acknowledged, as a client retrying would: same IDs, same
	// payloads, concurrently, through a fresh Meter.
	m, err := usage.New(st, e2eConfig(time.Now))
	require.NoError(t, err)
	defer m.Close(ctx)
	resend := make(chan crashEvent)
	var wg sync.WaitGroup
	for range crashWorkers {
		wg.Go(func() {
			for e := range resend {
				res, err := m.Track(ctx, e.event(at))
				if !assert.NoError(t, err, "resend %s", e.id) {
					continue
				}
				if _, was := stored[storetest.EventKey{Subject: e.subject, ID: e.id}]; was {
					assert.True(t, res.Replayed, "resending stored event %s is a replay, charged nothing", e.id)
				}
			}
		})
	}
	for k, v := range log.Attempted {
		if !log.Acked[k] {
			resend <- crashEvent{subject: k.Subject, id: k.ID, value: v}
		}
	}
	close(resend)
	wg.Wait()

	stored = storetest.StoredEvents(t, st, subjects...)
	require.Len(t, stored, len(log.Attempted), "after the resend every attempted event is stored, once")
	for k, v := range log.Attempted {
		e, ok := stored[k]
		require.True(t, ok, "event %s of %s is stored after the resend", k.ID, k.Subject)
		require.Equal(t, int64(v*unit), e.Value)
	}
	storetest.RequireUsageIsStoredEvents(t, st, crashMetric, at, stored, subjects...)
}
