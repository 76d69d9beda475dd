package groupcommit

import (
	"sync"

	"github.com/usagekit/usage/store"
)

// Batch is the events of one call, laid out in one slice grouped by the writer of
// their subject, in call order within each group, so that each writer's part is a
// piece of it and no event is copied again. The caller builds event i in place
// (Event), commits the batch, reads each event's outcome, and releases the batch.
type Batch struct {
	events []store.IngestEvent
	// slot is where event i is in events, and part which part holds it; both are
	// nil when one part holds the whole call, in call order.
	slot, part []int
	parts      []part
}

// part is the events of one call for one writer, and their answer.
type part struct {
	lane   *lane
	events []store.IngestEvent
	start  int // where events starts in Batch.events
	result
}

// NewBatch lays out a call of n events, whose subjects subject gives.
func (w *Writer) NewBatch(n int, subject func(int) string) Batch {
	events := takeEvents(n)
	writer := make([]int, n)
	count := make([]int, len(w.lanes))
	for i := range n {
		writer[i] = w.WriterOf(subject(i))
		count[writer[i]]++
	}
	if count[writer[0]] == n {
		return Batch{events: events, parts: []part{{lane: w.lanes[writer[0]], events: events}}}
	}
	b := Batch{events: events, slot: make([]int, n), part: writer}
	start := make([]int, len(w.lanes)) // where each writer's piece starts
	index := make([]int, len(w.lanes)) // and its part in parts
	for k, c := range count {
		if k > 0 {
			start[k] = start[k-1] + count[k-1]
		}
		if c > 0 {
			index[k] = len(b.parts)
			b.parts = append(b.parts, part{lane: w.lanes[k], events: events[start[k] : start[k] : start[k]+c], start: start[k]})
		}
	}
	for i := range n {
		p := &b.parts[index[writer[i]]]
		b.slot[i] = p.start + len(p.events)
		p.events = p.events[:len(p.events)+1]
		b.part[i] = index[writer[i]] // writer[i] is read above, and not again
	}
	return b
}

// Event is where the caller builds event i of the call.
func (b *Batch) Event(i int) *store.IngestEvent {
	if b.slot == nil {
		return &b.events[i]
	}
	return &b.events[b.slot[i]]
}

// Outcome is what became of event i once Commit has returned: the store's outcome,
// or the error of the commit of its part.
func (b *Batch) Outcome(i int) (store.Outcome, error) {
	p, j := &b.parts[0], i
	if b.slot != nil {
		p = &b.parts[b.part[i]]
		j = b.slot[i] - p.start
	}
	if p.err != nil {
		return store.Outcome{}, p.err
	}
	return p.outcomes[j], nil
}

// Release lets later calls reuse the batch's memory, once nothing refers to its
// events: when every part had its answer, no writer holds them. A part the call
// gave up on may still be in a writer's hands, and its memory is left alone.
func (b *Batch) Release() {
	for _, p := range b.parts {
		if p.err != nil {
			return
		}
	}
	events := b.events
	clear(events) // keep no caller's events alive
	eventSlices.Put(&events)
	*b = Batch{}
}

// eventSlices keeps the event slices of finished calls for later ones: a busy
// Meter lays out calls all the time, and slices allocated anew would be collected
// anew, at a cost in the host's CPU that grows with the events.
var eventSlices sync.Pool

// takeEvents returns a zeroed slice of n events, from eventSlices if one there is
// long enough.
func takeEvents(n int) []store.IngestEvent {
	if p, ok := eventSlices.Get().(*[]store.IngestEvent); ok && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]store.IngestEvent, n)
}
