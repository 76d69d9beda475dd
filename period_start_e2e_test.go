package usage_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
	"github.com/usagekit/usage/store/storetest"
)

// The period-start test: several processes track the first events of a period for
// many subjects at once, so that every process creates quota rows while the others
// lock the rows already created. Each process tracks periodStartEvents events of
// every subject, in batches that span many subjects, in an order of its own.
const (
	periodStartProcesses = 4
	periodStartSubjects  = 1000
	periodStartEvents    = 3
	periodStartWorkers   = 32
	periodStartBatch     = 64
)

func periodStartSubject(i int) string { return fmt.Sprint("ps-", i) }

// runPeriodStartChild tracks periodStartEvents credits of every subject, in batches
// of periodStartBatch events in a shuffled order, from periodStartWorkers goroutines
// at once, and prints "done" when every event was admitted.
func runPeriodStartChild(ctx context.Context, m *usage.Meter) error {
	start, err := strconv.ParseInt(os.Getenv(envStart), 10, 64)
	if err != nil {
		return fmt.Errorf("%s: %w", envStart, err)
	}
	tag := os.Getenv(envTag)
	events := make([]usage.Event, 0, periodStartSubjects*periodStartEvents)
	for s := range periodStartSubjects {
		for k := range periodStartEvents {
			events = append(events, usage.Event{ID: fmt.Sprintf("%s-%d-%d", tag, s, k),
				Subject: periodStartSubject(s), Metric: "credits", Value: 1})
		}
	}
	rand.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
	batches := make(chan []usage.Event, len(events)/periodStartBatch+1)
	for i := 0; i < len(events); i += periodStartBatch {
		batches <- events[i:min(i+periodStartBatch, len(events))]
	}
	close(batches)
	time.Sleep(time.Until(time.Unix(0, start)))
	errs := make([]error, periodStartWorkers)
	var wg sync.WaitGroup
	for w := range periodStartWorkers {
		wg.Go(func() {
			for b := range batches {
				results, err := m.TrackBatch(ctx, b)
				if err != nil {
					errs[w] = err
					return
				}
				for i, r := range results {
					if r.Err != nil {
						errs[w] = fmt.Errorf("event %s of %s: %w", b[i].ID, b[i].Subject, r.Err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	fmt.Println("done")
	return nil
}

func TestProcessesCreatingAPeriodsQuotaRowsAtOnceDoNotDeadlock(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		loc := db.NewDatabase(t)
		var deadlocks func() int64
		if db.Name == "postgres" {
			// A database of the test's own, so that the server's count of deadlocks
			// in it is of this test's transactions alone.
			loc, deadlocks = ownPostgresDatabase(t, loc)
		}
		st := db.OpenAt(t, loc) // migrate before the children race
		outputs, errs := spawnAll(t, db, scenarioPeriodStart, loc, periodStartProcesses, time.Now().Add(3*time.Second))()
		for p := range periodStartProcesses {
			require.NoError(t, errs[p], "child %d", p)
			require.Equal(t, "done", strings.TrimSpace(outputs[p]), "child %d", p)
		}
		if deadlocks != nil {
			require.Zero(t, deadlocks(), "deadlocks the server detected")
		}
		const want = periodStartProcesses * periodStartEvents
		for i := range periodStartSubjects {
			s := periodStartSubject(i)
			res, err := st.GetQuotas(context.Background(), &store.GetQuotasParams{Subject: s, Metrics: []string{"credits"}, At: time.Now()})
			require.NoError(t, err)
			require.Len(t, res.Quotas, 1, "quota rows of %s", s)
			require.Equal(t, int64(want*unit), res.Quotas[0].Used, "usage of %s", s)
			require.Equal(t, int64(want), res.Quotas[0].Count, "events counted of %s", s)
		}
		require.Len(t, storetest.StoredEvents(t, st, periodStartSubject(0), periodStartSubject(periodStartSubjects-1)), 2*want)
	})
}

// ownPostgresDatabase creates a database on the server of dsn, dropped when the
// test ends, and returns a DSN of it and a function that returns how many deadlocks
// the server has detected in it, once no session is left on it but the caller's.
func ownPostgresDatabase(t *testing.T, dsn string) (string, func() int64) {
	t.Helper()
	admin, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { admin.Close() })
	name := fmt.Sprintf("usage_test_db_%016x", rand.Uint64())
	ctx := context.Background()
	_, err = admin.ExecContext(ctx, "CREATE DATABASE "+name)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := admin.ExecContext(ctx, "DROP DATABASE "+name+" WITH (FORCE)")
		require.NoError(t, err)
	})
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	u.Path = "/" + name
	q := u.Query()
	q.Del("search_path")
	u.RawQuery = q.Encode()
	return u.String(), func() int64 {
		// A session reports its counts when it ends at the latest: wait for the
		// children's sessions to end first.
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		for {
			var sessions int
			require.NoError(t, admin.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name NOT LIKE $2",
				name, "%/"+strconv.Itoa(os.Getpid())).Scan(&sessions))
			if sessions == 0 {
				break
			}
			select {
			case <-ctx.Done():
				t.Fatalf("%d sessions of the children still on %s", sessions, name)
			case <-time.After(20 * time.Millisecond):
			}
		}
		conn, err := admin.Conn(ctx)
		require.NoError(t, err)
		defer conn.Close()
		var n int64
		_, err = conn.ExecContext(ctx, "SELECT pg_stat_clear_snapshot()")
		require.NoError(t, err)
		require.NoError(t, conn.QueryRowContext(ctx, "SELECT deadlocks FROM pg_stat_database WHERE datname = $1", name).Scan(&n))
		return n
	}
}
