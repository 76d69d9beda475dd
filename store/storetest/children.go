package storetest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The multi-process tests, the suite's and those of code built on a store, run their
// test binary again as child processes on one database. This file holds both sides
// of that which do not depend on what a child runs.

// childTimeout bounds a child that RunAll waits for.
const childTimeout = 5 * time.Minute

// Lines writes whole lines to W, one write per line, so that a line a parent reads
// was written completely before the child was killed. It is safe for concurrent use.
type Lines struct {
	// W is where the lines go: the child's stdout.
	W  io.Writer
	mu sync.Mutex
}

// Printf writes one line, formatted as by fmt.Printf.
func (l *Lines) Printf(format string, args ...any) error {
	b := fmt.Appendf(nil, format+"\n", args...)
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := l.W.Write(b)
	return err
}

// RunAll starts n children at once, the commands command makes for 0…n-1 under a
// context that bounds their lives, and returns a function that waits for them all
// and returns what each printed on stdout, or how it failed, with its stderr.
func RunAll(n int, command func(ctx context.Context, i int) *exec.Cmd) (wait func() ([]string, []error)) {
	outputs := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
			defer cancel()
			cmd := command(ctx, i)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				errs[i] = fmt.Errorf("%w: %s", err, stderr.String())
				return
			}
			outputs[i] = stdout.String()
		})
	}
	return func() ([]string, []error) {
		wg.Wait()
		return outputs, errs
	}
}

// RunWorkers runs work(w, 0), work(w, 1), … on each of workers goroutines (w in
// 0…workers-1) until lifetime has passed or that goroutine's work fails, and returns
// the failures. A child that ingests until it is killed runs its workers by it;
// lifetime bounds a child the parent fails to kill.
func RunWorkers(workers int, lifetime time.Duration, work func(w, i int) error) error {
	deadline := time.Now().Add(lifetime)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline); i++ {
				if errs[w] = work(w, i); errs[w] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// CrashReport is the child's side of a crash drill: it prints, each line whole, what
// CrashLog reads in the parent. It is safe for concurrent use.
type CrashReport struct {
	out Lines
}

// NewCrashReport returns a CrashReport that prints to w, the child's stdout.
func NewCrashReport(w io.Writer) *CrashReport { return &CrashReport{out: Lines{W: w}} }

// Started says the child is ingesting: the parent's kill may land from now on.
func (r *CrashReport) Started() error { return r.out.Printf("started") }

// Attempt says the child is about to send an event of value units.
func (r *CrashReport) Attempt(subject, id string, value float64) error {
	return r.out.Printf("attempt %s %s %s", subject, id, strconv.FormatFloat(value, 'g', -1, 64))
}

// Ack says the call that sent the event returned nil.
func (r *CrashReport) Ack(subject, id string) error { return r.out.Printf("ack %s %s", subject, id) }

// CrashLog is what a parent learns from children it kills while they ingest, each
// reporting through a CrashReport. Event IDs must be unique across the children.
type CrashLog struct {
	// Attempted holds the value, in units, of every event a child attempted.
	Attempted map[EventKey]float64
	// Acked holds every event a child acknowledged.
	Acked map[EventKey]bool
}

// NewCrashLog returns an empty CrashLog.
func NewCrashLog() *CrashLog {
	return &CrashLog{Attempted: map[EventKey]float64{}, Acked: map[EventKey]bool{}}
}

// KillRound starts the child command makes (under a context that bounds its life),
// kills it with SIGKILL delay after it printed "started", and adds what it reported
// to l. It fails t if the child ended before the kill or printed anything else.
func (l *CrashLog) KillRound(t *testing.T, tag string, delay time.Duration, command func(ctx context.Context) *exec.Cmd) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := command(ctx)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	started := make(chan struct{})
	read := make(chan error, 1)
	go func() { read <- l.read(stdout, started) }()
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

// read parses a child's stdout until EOF, closing started at the "started" line.
func (l *CrashLog) read(r io.Reader, started chan<- struct{}) error {
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
			k := EventKey{f[1], f[2]}
			if _, ok := l.Attempted[k]; ok {
				return fmt.Errorf("event %s attempted twice: the drill needs unique IDs", f[2])
			}
			l.Attempted[k] = v
		case len(f) == 3 && f[0] == "ack":
			k := EventKey{f[1], f[2]}
			if _, ok := l.Attempted[k]; !ok {
				return fmt.Errorf("event %s acknowledged but never attempted", f[2])
			}
			l.Acked[k] = true
		default:
			return fmt.Errorf("unexpected line %q", sc.Text())
		}
	}
	return sc.Err()
}
