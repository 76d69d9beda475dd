package sqlstore

import (
	"hash/maphash"
	"sync/atomic"

	"github.com/usagekit/usage/store"
)

// recentEvents remembers the keys of the events this store stored lately, so that
// a batch reads first those of its events that may replay them. A replay found that
// way costs the read of its key; one found by the batch's insert ends the attempt,
// and the next reads every key of the batch.
//
// The keys go into two Bloom filters, the one being filled and the one filled
// before it; once the current one holds its number of keys (or a few more, those of
// the batch that filled it) it takes the place of the other, and a new one is begun.
// A key is remembered until at least that many keys were stored after it, and
// memory stays fixed. A filter may answer yes for a key it does not hold, rarely
// (BENCHMARKS.md measures how rarely): the batch then reads that key and finds
// nothing, and no result changes. Each key sets four bits of one 64-bit word, so
// adding or looking up a key touches one word, with atomic operations: writers
// running at once share it without a lock.
type recentEvents struct {
	seed maphash.Seed
	// per is the number of keys a filter takes before it is replaced.
	per       int64
	cur, prev atomic.Pointer[keyFilter]
}

// keyFilter is one Bloom filter of recentEvents.
type keyFilter struct {
	words []atomic.Uint64
	added atomic.Int64
}

// keysPerWord sets a filter's size: a word, 64 bits, for each four keys.
const keysPerWord = 4

func newKeyFilter(keys int64) *keyFilter {
	return &keyFilter{words: make([]atomic.Uint64, max(keys/keysPerWord, 1))}
}

// newRecentEvents returns a window of at least the last n keys (n at least one).
func newRecentEvents(n int) *recentEvents {
	r := &recentEvents{seed: maphash.MakeSeed(), per: int64(max(n, 1))}
	r.cur.Store(newKeyFilter(r.per))
	r.prev.Store(newKeyFilter(r.per))
	return r
}

// place returns the word of k's hash in f and the four bits it sets there, taken
// from bits of the hash above those that chose the word.
func (f *keyFilter) place(h uint64) (*atomic.Uint64, uint64) {
	mask := uint64(1)<<(h>>40&63) | uint64(1)<<(h>>46&63) | uint64(1)<<(h>>52&63) | uint64(1)<<(h>>58)
	return &f.words[(h&(1<<40-1))%uint64(len(f.words))], mask
}

func (f *keyFilter) mayHold(h uint64) bool {
	w, mask := f.place(h)
	return w.Load()&mask == mask
}

// among returns the keys of those of events that may have been stored lately.
func (r *recentEvents) among(events []store.IngestEvent) []eventKey {
	cur, prev := r.cur.Load(), r.prev.Load()
	var out []eventKey
	for i := range events {
		k := eventKey{events[i].Event.Subject, events[i].Event.ID}
		if h := maphash.Comparable(r.seed, k); cur.mayHold(h) || prev.mayHold(h) {
			out = append(out, k)
		}
	}
	return out
}

// add remembers the keys of the events a batch stored or found stored.
func (r *recentEvents) add(events []store.IngestEvent, outcomes []store.Outcome) {
	cur := r.cur.Load()
	var added int64
	for i, o := range outcomes {
		if o.Status != store.StatusInserted && o.Status != store.StatusDuplicate {
			continue
		}
		w, mask := cur.place(maphash.Comparable(r.seed, eventKey{events[i].Event.Subject, events[i].Event.ID}))
		w.Or(mask)
		added++
	}
	// The batch that fills the filter replaces it. Writers adding to it at the
	// same time go on doing so: it is then the one before, which lookups read too.
	if total := cur.added.Add(added); total >= r.per && total-added < r.per {
		r.prev.Store(cur)
		r.cur.Store(newKeyFilter(r.per))
	}
}
