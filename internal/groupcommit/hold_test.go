package groupcommit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// requestOf is a request of n events.
func requestOf(n int) *request {
	return &request{events: make([]store.IngestEvent, n)}
}

// gatherSizes runs w.gather of first after a commit of last, while send hands
// requests of the given sizes to the queue one after another, and returns the
// sizes of the requests gathered. It fails t if gather has not returned within a
// few seconds: the holds under test would last an hour.
func gatherSizes(t *testing.T, w *Writer, first int, last commit, send ...int) []int {
	t.Helper()
	queue := make(chan *request)
	go func() {
		for _, n := range send {
			time.Sleep(10 * time.Millisecond)
			queue <- requestOf(n)
		}
	}()
	done := make(chan []*request, 1)
	go func() { done <- w.gather(queue, requestOf(first), last) }()
	select {
	case batch := <-done:
		sizes := make([]int, len(batch))
		for i, r := range batch {
			sizes[i] = len(r.events)
		}
		return sizes
	case <-time.After(5 * time.Second):
		t.Fatal("gather is still holding the batch open")
		return nil
	}
}

// A writer holds a batch open until it holds as many events as its last commit
// did, for the callers that commit answered, and no longer.
func TestABatchIsHeldUntilTheCallersOfTheLastCommitAreBack(t *testing.T) {
	w := &Writer{maxBatch: 100, maxHold: time.Hour}
	last := commit{events: 3, took: 24 * time.Hour}
	require.Equal(t, []int{1, 1, 1}, gatherSizes(t, w, 1, last, 1, 1))
	require.Equal(t, []int{1, 2}, gatherSizes(t, w, 1, last, 2))
	require.Equal(t, []int{5}, gatherSizes(t, w, 5, last), "a batch as large as the last is not held")
}

// A lone caller, whose own commit was the last, is not held; neither is the first
// batch, nor one after a failed commit.
func TestALoneCallerIsNotHeld(t *testing.T) {
	w := &Writer{maxBatch: 100, maxHold: time.Hour}
	require.Equal(t, []int{1}, gatherSizes(t, w, 1, commit{events: 1, took: 24 * time.Hour}))
	require.Equal(t, []int{1}, gatherSizes(t, w, 1, commit{}))
}

// The hold lasts an eighth of the last commit's time at most, so callers that do
// not come back delay the next commit by a fraction of what one takes.
func TestTheHoldEndsAfterAnEighthOfTheLastCommit(t *testing.T) {
	w := &Writer{maxBatch: 100, maxHold: time.Hour}
	start := time.Now()
	require.Equal(t, []int{1}, gatherSizes(t, w, 1, commit{events: 50, took: 80 * time.Millisecond}))
	require.GreaterOrEqual(t, time.Since(start), 10*time.Millisecond, "the batch was not held")

	w.maxHold = 20 * time.Millisecond
	require.Equal(t, []int{1}, gatherSizes(t, w, 1, commit{events: 50, took: 24 * time.Hour}), "maxHold bounds it too")
}

// Options.Wait holds every batch smaller than MaxBatch for its time, whatever the
// last commit held.
func TestAFixedWaitHoldsUntilTheBatchIsFull(t *testing.T) {
	w := &Writer{maxBatch: 3, maxHold: time.Hour, wait: time.Hour}
	require.Equal(t, []int{1, 2}, gatherSizes(t, w, 1, commit{events: 1, took: time.Millisecond}, 2))
}
