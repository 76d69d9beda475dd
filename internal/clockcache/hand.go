package clockcache

import "sync/atomic"

// Hand is the eviction hand of a CLOCK over slots 0 to n-1 whose entries each have
// a flag set when the entry is met, for Cache and for bounded maps elsewhere that
// keep their entries in slots of their own.
type Hand struct{ at int }

// Victim returns the slot, of n, whose entry to replace, given each slot's flag
// (flag(i)): the first from the hand on whose flag is clear, clearing the flags it
// passes. After one round it returns the slot it is at, whatever its flag: meetings
// setting flags again behind it cannot keep it going round. The hand moves past
// the slot it returns. n must be positive; slots may have been removed since the
// last call.
func (h *Hand) Victim(n int, flag func(i int) *atomic.Bool) int {
	if h.at >= n {
		h.at = 0
	}
	for range n {
		f := flag(h.at)
		if !f.Load() {
			break
		}
		f.Store(false)
		h.at = (h.at + 1) % n
	}
	i := h.at
	h.at = (h.at + 1) % n
	return i
}
