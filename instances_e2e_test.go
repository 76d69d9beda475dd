package usage_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
	"github.com/usagekit/usage/store/storetest"
)

// The instances test: several processes of many goroutines each take credits of
// several subjects in mixed amounts until every quota is full. Each child prints
// "ack SUBJECT ID VALUE" per admitted event and "done FIRST LAST" at the end.
const (
	instanceProcesses = 4
	instanceSubjects  = 8
	// instanceMaxAttempts bounds a worker's loop, far above what filling the quotas
	// takes; reaching it is a failure.
	instanceMaxAttempts = 10_000
)

// instanceAmounts are the credits a request asks for. All are multiples of the first,
// so once a request of the first is refused the quota is exactly full.
var instanceAmounts = []float64{0.1, 0.5, 1, 2.5, 7, 13}

func instanceSubject(i int) string { return fmt.Sprint("inst-", i) }

// runInstancesChild consumes credits of every subject until each refuses the smallest
// amount. It stops early once it alone has been admitted more than a limit, so that
// a Meter that over-admits fails the test at once instead of after thousands of
// requests.
func runInstancesChild(ctx context.Context, m *usage.Meter) error {
	start, err := strconv.ParseInt(os.Getenv(envStart), 10, 64)
	if err != nil {
		return fmt.Errorf("%s: %w", envStart, err)
	}
	time.Sleep(time.Until(time.Unix(0, start)))
	tag := os.Getenv(envTag)
	out := &storetest.Lines{W: os.Stdout}
	var full [instanceSubjects]atomic.Bool
	var admitted [instanceSubjects]atomic.Int64
	var failed atomic.Bool // by any worker: the others stop too
	first := time.Now()
	errs := make([]error, workersPerProcess)
	var wg sync.WaitGroup
	for w := range workersPerProcess {
		wg.Go(func() {
			defer func() {
				if errs[w] != nil {
					failed.Store(true)
				}
			}()
			for i := range instanceMaxAttempts {
				if failed.Load() {
					return
				}
				// Each run of len(instanceAmounts) requests goes to one subject, so
				// every subject sees every amount; full subjects are skipped.
				s := -1
				for k := range instanceSubjects {
					if c := (w + i/len(instanceAmounts) + k) % instanceSubjects; !full[c].Load() {
						s = c
						break
					}
				}
				if s < 0 {
					return
				}
				amount := instanceAmounts[i%len(instanceAmounts)]
				id := fmt.Sprintf("%s-%d-%d", tag, w, i)
				_, err := m.Track(ctx, usage.Event{ID: id, Subject: instanceSubject(s), Metric: "credits", Value: amount})
				switch {
				case err == nil:
					if errs[w] = out.Printf("ack %s %s %s", instanceSubject(s), id, strconv.FormatFloat(amount, 'g', -1, 64)); errs[w] != nil {
						return
					}
					if n := admitted[s].Add(int64(amount * unit)); n > creditLimit*unit {
						errs[w] = fmt.Errorf("this process alone was admitted %d micro-credits of %s, past the limit", n, instanceSubject(s))
						return
					}
				case errors.Is(err, usage.ErrQuotaExceeded) && amount == instanceAmounts[0]:
					full[s].Store(true)
				case errors.Is(err, usage.ErrQuotaExceeded):
				default:
					errs[w] = fmt.Errorf("track %s: %w", id, err)
					return
				}
			}
			errs[w] = fmt.Errorf("worker %d: quotas still not full after %d requests", w, instanceMaxAttempts)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return out.Printf("done %d %d", first.UnixNano(), time.Now().UnixNano())
}

func TestLimitsHoldExactlyAcrossFourProcesses(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		requireExactAcrossProcesses(t, db, scenarioInstances, instanceProcesses)
	})
}

// TestLimitsHoldExactlyAcrossProcessesWhoseCachesHoldFewerSubjects runs the
// instances test with Meters whose caches hold fewer subjects than the test
// consumes, on stores that remember fewer quota rows (store.WithRememberedRows),
// so that subjects are dropped and read back all the time; then a Meter
// with as small caches answers CheckQuota for every subject, twice, as the store has
// it.
func TestLimitsHoldExactlyAcrossProcessesWhoseCachesHoldFewerSubjects(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		st := requireExactAcrossProcesses(t, db, scenarioInstancesEvicting, 2)
		cfg := e2eConfig(time.Now)
		cfg.AssignmentCacheSize, cfg.QuotaCacheSize = evictingCacheSize, evictingCacheSize
		m, err := usage.New(st, cfg)
		require.NoError(t, err)
		defer m.Close(context.Background())
		for range 2 {
			for i := range instanceSubjects {
				q, err := m.CheckQuota(context.Background(), instanceSubject(i), "credits", instanceAmounts[0])
				require.NoError(t, err)
				require.Equal(t, int64(creditLimit*unit), q.Used.Micros(), "usage of %s", instanceSubject(i))
				require.False(t, q.Allowed, "%s is full", instanceSubject(i))
			}
		}
	})
}

// evictingCacheSize is the cache sizes of the Meters of scenarioInstancesEvicting,
// and the rows their stores remember, fewer than instanceSubjects.
const evictingCacheSize = 2

// requireExactAcrossProcesses runs processes children of scenario, each consuming
// as runInstancesChild does, and checks that exactly every limit was admitted and
// stored. It returns a store on their database.
func requireExactAcrossProcesses(t *testing.T, db testdb.Backend, scenario string, processes int) store.Store {
	t.Helper()
	loc := db.NewDatabase(t)
	st := db.OpenAt(t, loc) // migrate before the children race
	wait := spawnAll(t, db, scenario, loc, processes, time.Now().Add(5*time.Second))
	done := make(chan struct{})
	// While they run, no quota is ever seen past its limit, nor going down.
	var polls int
	var watcher sync.WaitGroup
	watcher.Go(func() {
		last := map[string]int64{}
		for {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
			for i := range instanceSubjects {
				s := instanceSubject(i)
				res, err := st.GetQuotas(context.Background(), &store.GetQuotasParams{Subject: s, Metrics: []string{"credits"}, At: time.Now()})
				if !assert.NoError(t, err) {
					return
				}
				for _, q := range res.Quotas {
					// One report is enough: stop watching at the first.
					if !assert.LessOrEqual(t, q.Used, int64(creditLimit*unit), "usage of %s past its limit while consuming", s) ||
						!assert.GreaterOrEqual(t, q.Used, last[s], "usage of %s went down", s) {
						return
					}
					last[s] = q.Used
				}
			}
			polls++
		}
	})
	outputs, errs := wait()
	close(done)
	watcher.Wait()

	acked := map[storetest.EventKey]int64{}
	sums := map[string]int64{}
	var firsts, lasts []int64
	for p := range processes {
		require.NoError(t, errs[p], "child %d", p)
		sawDone := false
		for _, line := range strings.Split(strings.TrimSpace(outputs[p]), "\n") {
			f := strings.Fields(line)
			switch {
			case len(f) == 4 && f[0] == "ack":
				v, err := strconv.ParseFloat(f[3], 64)
				require.NoError(t, err)
				k := storetest.EventKey{Subject: f[1], ID: f[2]}
				_, twice := acked[k]
				require.False(t, twice, "event %s admitted twice", f[2])
				acked[k] = int64(v * unit)
				sums[f[1]] += int64(v * unit)
			case len(f) == 3 && f[0] == "done":
				a, err1 := strconv.ParseInt(f[1], 10, 64)
				b, err2 := strconv.ParseInt(f[2], 10, 64)
				require.NoError(t, errors.Join(err1, err2))
				firsts, lasts = append(firsts, a), append(lasts, b)
				sawDone = true
			default:
				t.Fatalf("child %d printed %q", p, line)
			}
		}
		require.True(t, sawDone, "child %d finished", p)
	}
	require.Less(t, slices.Max(firsts), slices.Min(lasts), "the processes consumed at the same time")
	subjects := make([]string, instanceSubjects)
	for i := range subjects {
		subjects[i] = instanceSubject(i)
		require.Equal(t, int64(creditLimit*unit), sums[subjects[i]], "demand exceeded the limit of %s: exactly the limit is admitted", subjects[i])
	}
	stored := storetest.StoredEvents(t, st, subjects...)
	require.Len(t, stored, len(acked), "stored events are the admitted events")
	for k, v := range acked {
		e, ok := stored[k]
		require.True(t, ok, "admitted event %s of %s is stored", k.ID, k.Subject)
		require.Equal(t, v, e.Value)
	}
	for _, s := range subjects {
		res, err := st.GetQuotas(context.Background(), &store.GetQuotasParams{Subject: s, Metrics: []string{"credits"}, At: time.Now()})
		require.NoError(t, err)
		require.Len(t, res.Quotas, 1)
		require.Equal(t, int64(creditLimit*unit), res.Quotas[0].Used, "stored usage of %s", s)
	}
	t.Logf("%d events admitted across %d processes; quotas polled %d times while they ran", len(acked), processes, polls)
	return st
}
