package anomaly

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSortedWindowMatchesBruteForce(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for _, capacity := range []int{1, 2, 3, 10, 51} {
		w := newSortedWindow(capacity)
		var all []float64
		for i := range 500 {
			v := math.Round(r.NormFloat64() * 5) // ties on purpose
			w.push(v)
			all = append(all, v)
			win := slices.Clone(all[max(0, len(all)-capacity):])
			slices.Sort(win)
			med := medianSorted(win)
			dev := make([]float64, len(win))
			for j, x := range win {
				dev[j] = math.Abs(x - med)
			}
			slices.Sort(dev)
			if got := w.median(); got != med {
				t.Fatalf("cap %d step %d: median %v, want %v", capacity, i, got, med)
			}
			if got, want := w.mad(med), medianSorted(dev); got != want {
				t.Fatalf("cap %d step %d: MAD %v, want %v (window %v)", capacity, i, got, want, win)
			}
		}
	}
}

func TestSurprisalStaysOrdered(t *testing.T) {
	t.Parallel()
	prev := -1.0
	for z := 0.0; z < 100; z += 0.25 {
		v := zValue(z)
		if !(v > prev) || v >= 1 {
			t.Fatalf("zValue(%v) = %v after %v: want strictly increasing below 1", z, v, prev)
		}
		prev = v
	}
	if got := zValue(math.Inf(1)); got != 1 {
		t.Errorf("zValue(+Inf) = %v, want 1", got)
	}
	if got := zValue(math.NaN()); got != 0 {
		t.Errorf("zValue(NaN) = %v, want 0", got)
	}
}
