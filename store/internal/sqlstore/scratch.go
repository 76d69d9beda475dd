package sqlstore

import (
	"slices"
	"sync"
)

// scratch is the working memory of one call of Ingest that nothing returned
// refers to, kept for the next call: a writer ingests batch after batch of
// about the same size, and memory allocated anew for each would be collected anew
// for each, at a cost in the host's CPU that grows with the events.
type scratch struct {
	// rows, earlier and last each attempt sets anew.
	rows []eventRow
	// qids[i] is the ID of event i's quota row.
	qids []string
	// earlier[i] is the index of the batch's previous event with i's subject and ID,
	// or -1; last is the latest index of each subject and ID.
	earlier []int
	last    map[eventKey]int
}

var scratches = sync.Pool{New: func() any { return &scratch{last: map[eventKey]int{}} }}

// getScratch returns a scratch for n events, whose slices have length n and
// whatever values the last call left: the caller sets each before reading it.
func getScratch(n int) *scratch {
	s := scratches.Get().(*scratch)
	s.rows = slices.Grow(s.rows[:0], n)[:n]
	s.qids = slices.Grow(s.qids[:0], n)[:n]
	s.earlier = slices.Grow(s.earlier[:0], n)[:n]
	return s
}

// release drops what s refers to, so that it keeps no event alive, and returns it.
func (s *scratch) release() {
	clear(s.rows)
	clear(s.qids)
	clear(s.last)
	scratches.Put(s)
}
