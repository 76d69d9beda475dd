package groupcommit

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

func newTestWriter(t *testing.T, writers int) *Writer {
	t.Helper()
	w := New(nil, Options{Writers: writers, MaxBatch: 100, MaxInFlight: 1000, Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(func() { require.NoError(t, w.Close(context.Background())) })
	return w
}

func TestNewBatchGroupsEventsByWriterInCallOrder(t *testing.T) {
	w := newTestWriter(t, 3)
	subject := func(i int) string { return fmt.Sprint("s", i%7) }
	b := w.NewBatch(60, subject)
	require.Len(t, b.events, 60)
	require.Greater(t, len(b.parts), 1, "7 subjects over 3 writers")
	for i := range 60 {
		b.Event(i).Event.ID = fmt.Sprint(i)
	}
	covered := 0
	seen := map[string]bool{}
	for _, p := range b.parts {
		var at []int
		for _, e := range p.events {
			var i int
			_, err := fmt.Sscan(e.Event.ID, &i)
			require.NoError(t, err)
			require.Same(t, w.lanes[w.WriterOf(subject(i))], p.lane, "a subject has one writer")
			require.False(t, seen[e.Event.ID], "every event in exactly one part")
			seen[e.Event.ID] = true
			at = append(at, i)
		}
		require.True(t, slices.IsSorted(at), "a part keeps the call's order")
		require.Same(t, &b.events[p.start], &p.events[0], "a part is a piece of the call's events")
		covered += len(p.events)
	}
	require.Equal(t, 60, covered)
	require.Len(t, seen, 60)

	// Each event's outcome is its part's, at its place there.
	for k := range b.parts {
		p := &b.parts[k]
		p.outcomes = make([]store.Outcome, len(p.events))
		for j := range p.outcomes {
			p.outcomes[j].UsedAfter = int64(k*1000 + j)
		}
	}
	for i := range 60 {
		o, err := b.Outcome(i)
		require.NoError(t, err)
		k := b.part[i]
		require.Equal(t, b.parts[k].events[o.UsedAfter%1000].Event.ID, b.Event(i).Event.ID)
		require.Equal(t, int64(k), o.UsedAfter/1000)
	}

	// One writer's subjects: one part, built in place.
	b = w.NewBatch(5, func(int) string { return "acme" })
	require.Nil(t, b.slot)
	require.Len(t, b.parts, 1)
	require.Same(t, &b.events[0], &b.parts[0].events[0])
	require.Same(t, &b.events[3], b.Event(3))
}

func TestWriterOfASubjectIsTheSameInEveryWriterAndSpreadsSubjects(t *testing.T) {
	a, b := newTestWriter(t, 4), newTestWriter(t, 4)
	per := make([]int, 4)
	for i := range 4000 {
		s := fmt.Sprint("tenant-", i)
		require.Equal(t, a.WriterOf(s), b.WriterOf(s), "writer of %s", s)
		per[a.WriterOf(s)]++
	}
	for k, n := range per {
		require.InDelta(t, 1000, n, 150, "subjects of writer %d", k)
	}
}
