package anomaly

import (
	"math"
	"slices"
)

// ring is a fixed-capacity FIFO of the most recent values.
type ring struct {
	buf  []float64
	head int // index of the oldest value once full
	n    int
}

func newRing(capacity int) ring { return ring{buf: make([]float64, capacity)} }

// push appends v and returns the value it evicted, if any.
func (r *ring) push(v float64) (old float64, evicted bool) {
	if r.n < len(r.buf) {
		r.buf[(r.head+r.n)%len(r.buf)] = v
		r.n++
		return 0, false
	}
	old = r.buf[r.head]
	r.buf[r.head] = v
	r.head = (r.head + 1) % len(r.buf)
	return old, true
}

func (r *ring) full() bool { return r.n == len(r.buf) }

// at returns the i-th oldest value.
func (r *ring) at(i int) float64 { return r.buf[(r.head+i)%len(r.buf)] }

// meanVar is the mean and variance of a rolling window in O(1) per point. The sums
// are rebuilt from the window every capacity pushes, so rounding drift and an
// overflow to ±Inf from a huge value last at most one window.
type meanVar struct {
	r          ring
	sum, sumSq float64
	sincePush  int
}

func newMeanVar(capacity int) meanVar { return meanVar{r: newRing(capacity)} }

func (m *meanVar) push(v float64) {
	old, evicted := m.r.push(v)
	m.sincePush++
	if m.sincePush >= len(m.r.buf) {
		m.sincePush = 0
		m.sum, m.sumSq = 0, 0
		for i := range m.r.n {
			x := m.r.at(i)
			m.sum += x
			m.sumSq += x * x
		}
		return
	}
	if evicted {
		m.sum -= old
		m.sumSq -= old * old
	}
	m.sum += v
	m.sumSq += v * v
}

func (m *meanVar) count() int { return m.r.n }

func (m *meanVar) mean() float64 { return m.sum / float64(m.r.n) }

// std is the sample standard deviation (0 for fewer than two values).
func (m *meanVar) std() float64 {
	n := float64(m.r.n)
	if n < 2 {
		return 0
	}
	v := (m.sumSq - m.sum*m.sum/n) / (n - 1)
	if !(v > 0) {
		return 0
	}
	return math.Sqrt(v)
}

// sortedWindow is a rolling window that also keeps its values sorted, for medians
// and MADs in O(window) per point.
type sortedWindow struct {
	r      ring
	sorted []float64
}

func newSortedWindow(capacity int) sortedWindow {
	return sortedWindow{r: newRing(capacity), sorted: make([]float64, 0, capacity)}
}

func (w *sortedWindow) push(v float64) {
	if old, evicted := w.r.push(v); evicted {
		i, _ := slices.BinarySearch(w.sorted, old)
		w.sorted = slices.Delete(w.sorted, i, i+1)
	}
	i, _ := slices.BinarySearch(w.sorted, v)
	w.sorted = slices.Insert(w.sorted, i, v)
}

func (w *sortedWindow) count() int { return len(w.sorted) }

func (w *sortedWindow) median() float64 { return medianSorted(w.sorted) }

// mad is the median absolute deviation from m, which must be the window's median:
// the deviations below and above the median are each sorted, so merging them finds
// the middle one in O(window) without sorting.
func (w *sortedWindow) mad(m float64) float64 { return madSorted(w.sorted, m) }

// meanAbsDev is the mean absolute deviation from m: the fallback scale when more
// than half the window equals its median and the MAD is 0.
func (w *sortedWindow) meanAbsDev(m float64) float64 {
	var s float64
	for _, x := range w.sorted {
		s += math.Abs(x - m)
	}
	return s / float64(len(w.sorted))
}

func medianSorted(s []float64) float64 {
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return s[n/2-1]/2 + s[n/2]/2
}

func madSorted(s []float64, m float64) float64 {
	n := len(s)
	if n == 0 {
		return 0
	}
	// lo walks down from the median, hi walks up; each yields deviations in order.
	hi, _ := slices.BinarySearch(s, m)
	lo := hi - 1
	next := func() float64 {
		switch {
		case lo < 0:
			hi++
			return s[hi-1] - m
		case hi >= n:
			lo--
			return m - s[lo+1]
		case m-s[lo] <= s[hi]-m:
			lo--
			return m - s[lo+1]
		default:
			hi++
			return s[hi-1] - m
		}
	}
	var a float64
	for range (n-1)/2 + 1 {
		a = next()
	}
	if n%2 == 1 {
		return a
	}
	return a/2 + next()/2
}

// robustScale is 1.4826·MAD, the normal-consistent spread, falling back to the scaled
// mean absolute deviation when the MAD is 0 (a mostly constant window).
func robustScale(w *sortedWindow, med float64) float64 {
	if s := 1.4826 * w.mad(med); s > 0 {
		return s
	}
	return 1.2533 * w.meanAbsDev(med)
}
