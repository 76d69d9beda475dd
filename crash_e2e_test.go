package usage_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
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
	out := &lines{w: os.Stdout}
	// Warm up first, so that the kill lands in steady ingestion: one event per
	// subject resolves the plans and opens connections.
	for s := range crashSubjects {
		ev := crashEvent{subject: fmt.Sprint("crash-", s), id: tag + "-warm", value: 1}
		if err := out.printf("attempt %s %s 1", ev.subject, ev.id); err != nil {
			return err
		}
		if _, err := m.Track(ctx, ev.event(at)); err != nil {
			return fmt.Errorf("track %s: %w", ev.id, err)
		}
		if err := out.printf("ack %s %s", ev.subject, ev.id); err != nil {
			return err
		}
	}
	if err := out.printf("started"); err != nil {
		return err
	}
	deadline := time.Now().Add(crashChildLifetime)
	errs := make([]error, crashWorkers)
	var wg sync.WaitGroup
	for w := range crashWorkers {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline); i++ {
				ev := crashEvent{subject: fmt.Sprint("crash-", w%crashSubjects), id: fmt.Sprintf("%s-%d-%d", tag, w, i),
					value: float64(1+(w+i)%7) / 2}
				if errs[w] = out.printf("attempt %s %s %s", ev.subject, ev.id, strconv.FormatFloat(ev.value, 'g', -1, 64)); errs[w] != nil {
					return
				}
				if _, err := m.Track(ctx, ev.event(at)); err != nil {
					errs[w] = fmt.Errorf("track %s: %w", ev.id, err)
					return
				}
				if errs[w] = out.printf("ack %s %s", ev.subject, ev.id); errs[w] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// crashLog is what the parent learnt from the children.
type crashLog struct {
	attempted map[eventKey]crashEvent
	acked     map[eventKey]bool
}

// read parses a child's stdout until EOF, closing started at the "started" line.
func (l *crashLog) read(r io.Reader, started chan<- struct{}) error {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 1 && f[0] == "started":
			close(started)
		case len(f) == 4 && f[0] == "attempt":
			v, err := strconv.ParseFloat(f[3], 64)
			if err != nil {
				return fmt.Errorf("line %q: %w", sc.Text(), err)
			}
			k := eventKey{f[1], f[2]}
			if _, ok := l.attempted[k]; ok {
				return fmt.Errorf("event %s attempted twice: the drill needs unique IDs", f[2])
			}
			l.attempted[k] = crashEvent{subject: f[1], id: f[2], value: v}
		case len(f) == 3 && f[0] == "ack":
			k := eventKey{f[1], f[2]}
			if _, ok := l.attempted[k]; !ok {
				return fmt.Errorf("event %s acknowledged but never attempted", f[2])
			}
			l.acked[k] = true
		default:
			return fmt.Errorf("unexpected line %q", sc.Text())
		}
	}
	return sc.Err()
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
	log := &crashLog{attempted: map[eventKey]crashEvent{}, acked: map[eventKey]bool{}}
	for round := range crashRounds {
		delay := crashMinDelay + rand.N(crashMaxDelay-crashMinDelay)
		before, beforeAcked := len(log.attempted), len(log.acked)
		crashRound(t, db, loc, fmt.Sprint("r", round), at, delay, log)
		t.Logf("round %d: killed %v after start: %d attempted, %d acknowledged", round, delay,
			len(log.attempted)-before, len(log.acked)-beforeAcked)
	}
	unacked := len(log.attempted) - len(log.acked)
	require.NotZero(t, len(log.acked), "the children acknowledged events before being killed")
	require.NotZero(t, unacked, "the kills interrupted calls in progress")

	subjects := make([]string, crashSubjects)
	for i := range subjects {
		subjects[i] = fmt.Sprint("crash-", i)
	}
	stored := listAll(t, st, subjects...)
	requireStored(t, log.acked, stored)
	storedUnacked := 0
	for k, e := range stored {
		a, ok := log.attempted[k]
		require.True(t, ok, "stored event %s of %s was attempted", k.id, k.subject)
		require.Equal(t, int64(a.value*unit), e.Value, "event %s is stored with its payload", k.id)
		require.Equal(t, crashMetric, e.Metric)
		if !log.acked[k] {
			storedUnacked++
		}
	}
	t.Logf("%d attempted, %d acknowledged, %d stored (%d of them unacknowledged)",
		len(log.attempted), len(log.acked), len(stored), storedUnacked)

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
				if _, was := stored[eventKey{e.subject, e.id}]; was {
					assert.True(t, res.Replayed, "resending stored event %s is a replay, charged nothing", e.id)
				}
			}
		})
	}
	for k, e := range log.attempted {
		if !log.acked[k] {
			resend <- e
		}
	}
	close(resend)
	wg.Wait()

	stored = listAll(t, st, subjects...)
	require.Len(t, stored, len(log.attempted), "after the resend every attempted event is stored, once")
	sums := map[string]int64{}
	for k, a := range log.attempted {
		e, ok := stored[k]
		require.True(t, ok, "event %s of %s is stored after the resend", k.id, k.subject)
		require.Equal(t, int64(a.value*unit), e.Value)
		sums[k.subject] += e.Value
	}
	for _, s := range subjects {
		res, err := st.GetQuotas(ctx, &store.GetQuotasParams{Subject: s, Metrics: []string{crashMetric}, At: at})
		require.NoError(t, err)
		require.Len(t, res.Quotas, 1, "quota of %s", s)
		require.Equal(t, sums[s], res.Quotas[0].Used, "quota of %s is the sum of its stored events", s)
	}
}

// crashRound runs one child, kills it delay after it started, and adds what it
// reported to log.
func crashRound(t *testing.T, db testdb.Backend, loc, tag string, at time.Time, delay time.Duration, log *crashLog) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := childCommand(ctx, db, scenarioCrash, loc, envTag+"="+tag, envEventTime+"="+strconv.FormatInt(at.UnixMicro(), 10))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	started := make(chan struct{})
	read := make(chan error, 1)
	go func() { read <- log.read(stdout, started) }()
	select {
	case <-started:
	case err := <-read:
		waitErr := cmd.Wait()
		t.Fatalf("child %s ended before starting: read: %v, exit: %v\n%s", tag, err, waitErr, stderr.String())
	}
	time.Sleep(delay)
	require.NoError(t, cmd.Process.Kill())
	readErr := <-read // the pipe closes when the child dies
	waitErr := cmd.Wait()
	require.NoError(t, readErr, "child %s output", tag)
	var exit *exec.ExitError
	require.ErrorAs(t, waitErr, &exit, "child %s", tag)
	require.False(t, exit.Exited(), "child %s ended by itself (%v) before the kill:\n%s", tag, waitErr, stderr.String())
}
