package usage

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
	"github.com/usagekit/usage/store/sqlite"
)

// failingSubjectStore is a real store whose Ingest fails for any batch holding an
// event of one subject.
type failingSubjectStore struct {
	store.Store
	subject string
}

var errDiskOnFire = errors.New("disk on fire")

func (s failingSubjectStore) Capabilities() store.Capabilities {
	c := s.Store.Capabilities()
	c.ConcurrentWriters = true // two writers, as on Postgres
	return c
}

func (s failingSubjectStore) Ingest(ctx context.Context, params *store.IngestParams) (*store.IngestResult, error) {
	for _, e := range params.Events {
		if e.Event.Subject == s.subject {
			return nil, errDiskOnFire
		}
	}
	return s.Store.Ingest(ctx, params)
}

func TestTrackBatchCommitsEachWritersSubjectsOnTheirOwn(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "usage.db"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	m, err := New(failingSubjectStore{Store: st, subject: "broken"}, &Config{
		Metrics: []Metric{{Key: "api_calls"}},
		Plans:   []Plan{{Key: "p", Limits: map[string]Limit{"api_calls": {Included: 100}}}}, DefaultPlan: "p",
	})
	require.NoError(t, err)
	t.Cleanup(func() { m.Close(ctx) })
	require.Equal(t, 2, m.writer.Writers())

	// A subject whose writer is not the broken subject's.
	healthy := ""
	for i := 0; healthy == ""; i++ {
		if s := fmt.Sprint("tenant-", i); m.writer.WriterOf(s) != m.writer.WriterOf("broken") {
			healthy = s
		}
	}

	events := []Event{
		{Subject: healthy, Metric: "api_calls", Value: 1, ID: "a"},
		{Subject: "broken", Metric: "api_calls", Value: 1, ID: "b"},
		{Subject: healthy, Metric: "api_calls", Value: 2, ID: "c"},
	}
	res, err := m.TrackBatch(ctx, events)
	require.NoError(t, err, "some of the batch was stored")
	require.NoError(t, res[0].Err)
	require.NoError(t, res[2].Err)
	require.ErrorIs(t, res[1].Err, errDiskOnFire, "the failed subject's events say why")
	require.Equal(t, 1.0, res[0].UsedAfter.Float64())
	require.Equal(t, 3.0, res[2].UsedAfter.Float64(), "one subject's events commit together, in order")

	stored, err := st.ListEvents(ctx, &store.ListEventsParams{Subject: healthy})
	require.NoError(t, err)
	var ids []string
	for _, e := range stored.Events {
		ids = append(ids, e.ID)
	}
	require.Equal(t, []string{"a", "c"}, ids)

	// Tracking the batch again is safe: stored events replay, the rest fail again.
	res, err = m.TrackBatch(ctx, events)
	require.NoError(t, err)
	require.True(t, res[0].Replayed)
	require.True(t, res[2].Replayed)
	require.ErrorIs(t, res[1].Err, errDiskOnFire)

	// When every subject's commit fails, the call fails and nothing is stored.
	_, err = m.TrackBatch(ctx, []Event{{Subject: "broken", Metric: "api_calls", Value: 1, ID: "d"}})
	require.ErrorIs(t, err, errDiskOnFire)
	got, err := st.ListEvents(ctx, &store.ListEventsParams{Subject: "broken"})
	require.NoError(t, err)
	require.Empty(t, got.Events)
}

func TestTrackBatchOfNoEventsStoresNothing(t *testing.T) {
	m := newTestMeter(t, &Config{Metrics: ExampleMetrics(), Plans: ExamplePlans()})
	for _, events := range [][]Event{nil, {}} {
		res, err := m.TrackBatch(context.Background(), events)
		require.NoError(t, err)
		require.Empty(t, res)
	}
}

// holdingStore is a real store whose Ingest, for a batch holding an event of one
// subject, signals entered and holds the events until release is closed; then it
// reports on changed whether they changed meanwhile, and fails.
type holdingStore struct {
	store.Store
	subject          string
	entered, release chan struct{}
	changed          chan bool
}

func (s holdingStore) Capabilities() store.Capabilities {
	c := s.Store.Capabilities()
	c.ConcurrentWriters = true // two writers, as on Postgres
	return c
}

func (s holdingStore) Ingest(ctx context.Context, params *store.IngestParams) (*store.IngestResult, error) {
	if !slices.ContainsFunc(params.Events, func(e store.IngestEvent) bool { return e.Event.Subject == s.subject }) {
		return s.Store.Ingest(ctx, params)
	}
	given := slices.Clone(params.Events)
	s.entered <- struct{}{}
	<-s.release
	s.changed <- !slices.EqualFunc(given, params.Events, func(a, b store.IngestEvent) bool {
		return a.Event.Subject == b.Event.Subject && a.Event.ID == b.Event.ID && a.Event.Value == b.Event.Value
	})
	return nil, errDiskOnFire
}

// A call that gives up on one writer's commit gets the other writer's answers,
// but that writer still holds its events: the call must not hand their memory to
// later calls.
func TestTrackBatchLeavesTheEventsOfACommitItGaveUpOn(t *testing.T) {
	for range 10 {
		if givesUpOnOneCommit(t) {
			return
		}
	}
	t.Fatal("the call never had the healthy subject's answer before it gave up")
}

// givesUpOnOneCommit runs the scenario of the test above, and reports false if the
// call gave up before its healthy part had its answer, which leaves nothing to
// check.
func givesUpOnOneCommit(t *testing.T) bool {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "usage.db"))
	require.NoError(t, err)
	defer st.Close()
	held := holdingStore{Store: st, subject: "held", entered: make(chan struct{}),
		release: make(chan struct{}), changed: make(chan bool, 1)}
	m, err := New(held, &Config{
		Metrics: []Metric{{Key: "api_calls"}},
		Plans:   []Plan{{Key: "p", Limits: map[string]Limit{"api_calls": {Included: 1000}}}}, DefaultPlan: "p",
	})
	require.NoError(t, err)
	defer m.Close(ctx)
	released := false
	defer func() {
		if !released {
			close(held.release) // lets Close finish when an assertion fails
		}
	}()
	healthy := ""
	for i := 0; healthy == ""; i++ {
		if s := fmt.Sprint("tenant-", i); m.writer.WriterOf(s) != m.writer.WriterOf("held") {
			healthy = s
		}
	}

	callCtx, giveUp := context.WithCancel(ctx)
	type answer struct {
		res []BatchResult
		err error
	}
	answered := make(chan answer)
	go func() {
		res, err := m.TrackBatch(callCtx, []Event{
			{Subject: healthy, Metric: "api_calls", Value: 1, ID: "a"},
			{Subject: "held", Metric: "api_calls", Value: 1, ID: "b"},
		})
		answered <- answer{res, err}
	}()
	<-held.entered
	// The healthy part's answer follows its commit at once; give up after both.
	for {
		got, err := st.ListEvents(ctx, &store.ListEventsParams{Subject: healthy})
		require.NoError(t, err)
		if len(got.Events) > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(10 * time.Millisecond)
	giveUp()
	a := <-answered
	if a.err != nil {
		return false
	}
	require.NoError(t, a.res[0].Err)
	require.ErrorIs(t, a.res[1].Err, context.Canceled)

	// Later calls of the same size, which would reuse the memory.
	for i := range 20 {
		_, err := m.TrackBatch(ctx, []Event{
			{Subject: healthy, Metric: "api_calls", Value: 2, ID: fmt.Sprint("later-", i)},
			{Subject: healthy, Metric: "api_calls", Value: 2, ID: fmt.Sprint("later-", i, "-2")},
		})
		require.NoError(t, err)
	}
	released = true
	close(held.release)
	require.False(t, <-held.changed, "the events the writer holds changed under it")
	return true
}
