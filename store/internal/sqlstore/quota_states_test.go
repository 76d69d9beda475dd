package sqlstore

import (
	"fmt"
	"slices"
	"testing"
)

// The rows remembered stay within the bound however many are committed, a row
// forgotten or contended is no longer known, and a row that batches keep deciding
// against stays known while rows met once pass through.
func TestQuotaStatesStayWithinTheirBound(t *testing.T) {
	const bound = 64
	s := newQuotaStates(bound, false)
	hot := quotaRow{ID: "hot", Used: 7}
	s.committed([]quotaRow{hot}, 1)
	keys := make([]quotaRow, 3*bound)
	for i := range keys {
		keys[i] = quotaRow{ID: fmt.Sprint("q", i), Used: int64(i)}
		s.committed(keys[i:i+1], 1)
		if n := s.rows.len(); n > bound {
			t.Fatalf("%d rows remembered after %d committed, bound %d", n, i+1, bound)
		}
		if rows, _, ok := s.known([]quotaRow{{ID: hot.ID}}, 1); !ok || rows[0].Used != hot.Used {
			t.Fatalf("the row decided against by every batch is no longer known after %d others: %v, %v", i+1, rows, ok)
		}
	}
	last := keys[len(keys)-2:]
	rows, _, ok := s.known(last, 1)
	if !ok || rows[0].Used != last[0].Used || rows[1].Used != last[1].Used {
		t.Fatalf("the rows committed last: %v, %v", rows, ok)
	}
	s.forget([]string{last[0].ID})
	if _, _, ok := s.known(last[:1], 1); ok {
		t.Fatal("a forgotten row is known")
	}
	s.contended([]string{last[1].ID})
	s.committed(last[1:], 1)
	if _, _, ok := s.known(last[1:], 1); ok {
		t.Fatal("a contended row is known again once committed")
	}
	if _, _, ok := s.known(keys[:1], 1); ok {
		t.Fatal("the first row, committed before the bound was passed and not met since, is still known")
	}
}

// A boundedSet keeps at most its size, and the keys looked up again stay.
func TestBoundedSetKeepsTheKeysItMeetsAgain(t *testing.T) {
	const bound = 16
	s := newBoundedSet[string](bound)
	s.remember([]string{"hot"})
	for i := range 10 * bound {
		s.remember([]string{fmt.Sprint("k", i)})
		if n := s.keys.len(); n > bound {
			t.Fatalf("%d keys remembered, bound %d", n, bound)
		}
		if !s.has("hot") {
			t.Fatalf("the key looked up after each other is forgotten after %d others", i+1)
		}
	}
	if s.has("k0") {
		t.Fatal("a key remembered once, before the bound was passed, is still remembered")
	}
	if !s.has(fmt.Sprint("k", 10*bound-1)) {
		t.Fatal("the key remembered last is not remembered")
	}
}

// A row is in sight only under the count of sight it was committed under, and
// never under zero, the count of a store that cannot tell.
func TestARememberedRowIsInSightOnlyUnderItsCount(t *testing.T) {
	s := newQuotaStates(8, false)
	s.committed([]quotaRow{{ID: "a"}}, 2)
	s.committed([]quotaRow{{ID: "b"}}, 3)
	for _, c := range []struct {
		sight uint64
		want  []bool
	}{{3, []bool{false, true}}, {2, []bool{true, false}}, {4, []bool{false, false}}} {
		_, inSight, ok := s.known([]quotaRow{{ID: "a"}, {ID: "b"}}, c.sight)
		if !ok || !slices.Equal(inSight, c.want) {
			t.Fatalf("under %d: %v, %v; want %v", c.sight, inSight, ok, c.want)
		}
	}
	s.committed([]quotaRow{{ID: "c"}}, 0)
	if _, inSight, ok := s.known([]quotaRow{{ID: "c"}}, 0); !ok || inSight[0] {
		t.Fatalf("under zero: %v, %v", inSight, ok)
	}
}
