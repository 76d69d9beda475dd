package httpmw

import (
	"sync"
	"testing"
)

func TestSlotsCountTakesAndReservations(t *testing.T) {
	var s slots
	for i := range 3 {
		if got := s.take(3); got != taken {
			t.Fatalf("take %d of 3: %v", i+1, got)
		}
	}
	if got := s.take(3); got != refusedFull {
		t.Fatalf("take past the size: %v, want refusedFull", got)
	}
	for range 2 {
		if s.endReservation() {
			t.Fatal("an open queue reported idle")
		}
	}
	s.give(2)
	if got := s.inUse(); got != 1 {
		t.Fatalf("in use after giving back 2 of 3: %d", got)
	}
	first, idle := s.close()
	if !first || idle {
		t.Fatalf("close with one reservation active: first %v idle %v, want true false", first, idle)
	}
	if again, _ := s.close(); again {
		t.Fatal("a second close reported closing the queue")
	}
	if got := s.take(3); got != refusedClosed {
		t.Fatalf("take after close: %v, want refusedClosed", got)
	}
	if !s.endReservation() {
		t.Fatal("the last reservation of a closed queue did not report it idle")
	}
	if got := s.inUse(); got != 1 {
		t.Fatalf("in use after the reservations ended: %d, want the one slot not given back", got)
	}
}

// Many goroutines taking and giving back never hold more than the size, and the
// counts return to zero.
func TestSlotsNeverPastSizeUnderContention(t *testing.T) {
	const size, goroutines, rounds = 5, 16, 2000
	var s slots
	var mu sync.Mutex
	held, most := 0, 0
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range rounds {
				if s.take(size) != taken {
					continue
				}
				mu.Lock()
				held++
				most = max(most, held)
				mu.Unlock()
				mu.Lock()
				held--
				mu.Unlock()
				s.endReservation()
				s.give(1)
			}
		})
	}
	wg.Wait()
	if most > size {
		t.Fatalf("%d slots held at once, size %d", most, size)
	}
	if s.word.Load() != 0 {
		t.Fatalf("word %#x after every slot was given back, want 0", s.word.Load())
	}
}
