package httpmw

import "sync/atomic"

// slots is the queue's accounting in one atomic word, so that taking a slot and
// ending a reservation cost a request no lock: the slots in use (reserved, pending
// or being stored) in the low 32 bits, the reservations whose event is not queued
// or released yet in the next 31, and whether the queue is closed in the top bit.
// Taking a slot checks the size and the closed mark in the same compare-and-swap
// that counts it, so no slot is taken past the size or after the queue closed.
type slots struct{ word atomic.Uint64 }

const (
	slotOne        = 1
	reservationOne = 1 << 32
	closedMark     = 1 << 63
	inUseMask      = reservationOne - 1
	reservedMask   = closedMark - reservationOne
)

// takeResult says what take did.
type takeResult int

const (
	taken takeResult = iota
	refusedFull
	refusedClosed
)

// take takes a slot and a reservation if fewer than size slots are in use and
// the queue is open.
func (s *slots) take(size int) takeResult {
	for {
		w := s.word.Load()
		switch {
		case w&closedMark != 0:
			return refusedClosed
		case int(w&inUseMask) >= size:
			return refusedFull
		case s.word.CompareAndSwap(w, w+slotOne+reservationOne):
			return taken
		}
	}
}

// endReservation ends a reservation (its slot stays in use until given back). It
// reports whether it was the last one of a closed queue: no reservation can begin
// after the queue closed, so exactly one call, or close, finds the queue idle.
func (s *slots) endReservation() (idle bool) {
	w := s.word.Add(^uint64(reservationOne - 1))
	return w&closedMark != 0 && w&reservedMask == 0
}

// give gives back n slots.
func (s *slots) give(n int) { s.word.Add(^uint64(n*slotOne - 1)) }

// inUse returns the number of slots in use.
func (s *slots) inUse() int { return int(s.word.Load() & inUseMask) }

// close marks the queue closed. It reports whether this call closed it, and if so
// whether no reservation was active then.
func (s *slots) close() (first, idle bool) {
	w := s.word.Or(closedMark)
	return w&closedMark == 0, w&reservedMask == 0
}
