package sqlstore

import (
	"fmt"
	"testing"
)

// The rows remembered stay within the bound however many are committed, and a row
// forgotten or contended is no longer known.
func TestQuotaStatesStayWithinTheirBound(t *testing.T) {
	s := newQuotaStates()
	keys := make([]quotaRow, 3*maxQuotaStates)
	for i := range keys {
		keys[i] = quotaRow{ID: fmt.Sprint("q", i), Used: int64(i)}
		s.committed(keys[i : i+1])
		if len(s.rows) > maxQuotaStates {
			t.Fatalf("%d rows remembered after %d committed, bound %d", len(s.rows), i+1, maxQuotaStates)
		}
	}
	last := keys[len(keys)-2:]
	rows, ok := s.known(last)
	if !ok || rows[0].Used != last[0].Used || rows[1].Used != last[1].Used {
		t.Fatalf("the rows committed last: %v, %v", rows, ok)
	}
	s.forget([]string{last[0].ID})
	if _, ok := s.known(last[:1]); ok {
		t.Fatal("a forgotten row is known")
	}
	s.contended([]string{last[1].ID})
	s.committed(last[1:])
	if _, ok := s.known(last[1:]); ok {
		t.Fatal("a contended row is known again once committed")
	}
	if _, ok := s.known(keys[:1]); ok {
		t.Fatal("the first row, committed before the bound was passed, is still known")
	}
}
