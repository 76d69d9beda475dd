package anomaly

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// KNNConfig configures a [KNN] detector. The zero value uses the defaults.
type KNNConfig struct {
	// Dim is the number of consecutive points forming a context. Defaults to 20.
	Dim int
	// Segments is the number of equal segments a context is averaged into before
	// comparing (piecewise aggregate approximation): fewer is faster and smoother.
	// Defaults to 5; at most Dim, and a divisor of it (else Dim is rounded up).
	Segments int
	// History is the number of past contexts searched. Defaults to 1000.
	History int
	// K is the number of nearest contexts averaged. Defaults to 10.
	K int
	// MinPoints is how many past contexts are needed before it scores. Defaults to
	// DefaultWindow, and at most History.
	MinPoints int
	// Threshold is the Stat (distance relative to the usual one) above which Fired
	// is set. Defaults to 3.
	Threshold float64
}

// KNN is a contextual detector in the manner of KNN-CAD: it takes the latest Dim
// points as a context and measures its mean Euclidean distance to its K nearest
// neighbours among the History contexts before it. A context unlike anything seen
// recently — a daily peak missing, a flat line where the series usually moves —
// is far from all of them, even when each of its values is ordinary. Contexts are
// compared as Segments segment means, so one point costs O(History·Segments).
//
// Score.Stat is that distance relative to the median distance of the recent
// contexts (1 is typical). Score.Value is the fraction of recent contexts that were
// closer to their neighbours than this one, a conformal-style rank in [0, 1].
type KNN struct {
	cfg  KNNConfig
	seg  int       // points per segment
	raw  ring      // the last Dim values
	vecs []float64 // ring of History+Dim contexts, Segments values each
	next int       // slot of the next context in vecs
	nvec int
	ncm  sortedWindow // recent neighbour distances
	near []float64    // scratch: the K smallest squared distances
	// index holds the candidate contexts sorted by key, the sum of their segment
	// means over √Segments: the squared key difference of two contexts is a lower
	// bound of their squared distance, so the search can stop early.
	index []keyedSlot
}

type keyedSlot struct {
	key  float64
	slot int
}

// NewKNN returns a KNN detector.
func NewKNN(cfg KNNConfig) *KNN {
	cfg.Segments = max(cmp.Or(cfg.Segments, 5), 1)
	cfg.Dim = max(cmp.Or(cfg.Dim, 20), cfg.Segments)
	seg := (cfg.Dim + cfg.Segments - 1) / cfg.Segments
	cfg.Dim = seg * cfg.Segments
	cfg.History = max(cmp.Or(cfg.History, 1000), 2)
	cfg.K = min(max(cmp.Or(cfg.K, 10), 1), cfg.History)
	cfg.MinPoints = min(max(cmp.Or(cfg.MinPoints, DefaultWindow), 2), cfg.History)
	cfg.Threshold = cmp.Or(cfg.Threshold, 3)
	return &KNN{
		cfg:  cfg,
		seg:  seg,
		raw:  newRing(cfg.Dim),
		vecs: make([]float64, (cfg.History+cfg.Dim)*cfg.Segments),
		ncm:  newSortedWindow(cfg.History),
		near: make([]float64, 0, cfg.K),
	}
}

// Update adds v and scores the context it completes.
func (d *KNN) Update(_ time.Time, v float64) Score {
	if !finite(v) {
		return Score{}
	}
	d.raw.push(v)
	if !d.raw.full() {
		return Score{}
	}
	p := d.cfg.Segments
	slots := len(d.vecs) / p
	if d.nvec == slots {
		d.unindex(d.next) // the oldest context is overwritten below
	}
	cur := d.vecs[d.next*p : (d.next+1)*p]
	for s := range p {
		var sum float64
		for j := range d.seg {
			sum += d.raw.at(s*d.seg + j)
		}
		cur[s] = sum / float64(d.seg)
	}
	// Contexts overlapping the current one are trivially close: a context becomes
	// a candidate once Dim newer ones exist.
	if d.nvec >= d.cfg.Dim {
		d.reindex((d.next - d.cfg.Dim + slots) % slots)
	}
	d.next = (d.next + 1) % slots
	d.nvec = min(d.nvec+1, slots)
	if len(d.index) < d.cfg.K {
		return Score{}
	}
	d.search(cur)
	var sum float64
	for _, x := range d.near {
		sum += math.Sqrt(x)
	}
	alpha := sum / float64(len(d.near))
	var s Score
	if d.ncm.count() >= d.cfg.MinPoints {
		below, _ := slices.BinarySearch(d.ncm.sorted, alpha) // contexts closer than this one
		rel := ratio(alpha, d.ncm.median())
		s = Score{Value: float64(below) / float64(d.ncm.count()), Stat: rel, Fired: rel > d.cfg.Threshold, Ready: true}
	}
	if finite(alpha) {
		d.ncm.push(alpha)
	}
	return s
}

func (d *KNN) key(slot int) float64 {
	p := d.cfg.Segments
	var sum float64
	for _, x := range d.vecs[slot*p : (slot+1)*p] {
		sum += x
	}
	return sum / math.Sqrt(float64(p))
}

func (d *KNN) position(k keyedSlot) int {
	i, _ := slices.BinarySearchFunc(d.index, k, func(a, b keyedSlot) int {
		return cmp.Or(cmp.Compare(a.key, b.key), a.slot-b.slot)
	})
	return i
}

// reindex makes the context in slot a candidate.
func (d *KNN) reindex(slot int) {
	k := keyedSlot{d.key(slot), slot}
	d.index = slices.Insert(d.index, d.position(k), k)
}

// unindex removes the context in slot from the candidates.
func (d *KNN) unindex(slot int) {
	if i := d.position(keyedSlot{d.key(slot), slot}); i < len(d.index) && d.index[i].slot == slot {
		d.index = slices.Delete(d.index, i, i+1)
	}
}

// search fills d.near with the K smallest squared distances from cur to the
// candidates, walking outwards from cur's key until the key bound rules out the rest.
func (d *KNN) search(cur []float64) {
	p := len(cur)
	var key float64
	for _, x := range cur {
		key += x
	}
	key /= math.Sqrt(float64(p))
	d.near = d.near[:0]
	kth := math.Inf(1)
	hi := d.position(keyedSlot{key, -1})
	lo := hi - 1
	for lo >= 0 || hi < len(d.index) {
		var next keyedSlot
		if hi >= len(d.index) || (lo >= 0 && key-d.index[lo].key <= d.index[hi].key-key) {
			next = d.index[lo]
			lo--
		} else {
			next = d.index[hi]
			hi++
		}
		if gap := next.key - key; gap*gap >= kth {
			break // every remaining key is at least as far
		}
		var dist float64
		for j, x := range d.vecs[next.slot*p : (next.slot+1)*p] {
			diff := x - cur[j]
			dist += diff * diff
		}
		if dist < kth {
			d.insertNear(dist)
			if len(d.near) == d.cfg.K {
				kth = d.near[len(d.near)-1]
			}
		}
	}
}

// insertNear keeps d.near as the K smallest distances seen, ascending.
func (d *KNN) insertNear(dist float64) {
	k := len(d.near)
	if k == d.cfg.K {
		if !(dist < d.near[k-1]) {
			return
		}
		k--
		d.near = d.near[:k]
	}
	i := k
	for i > 0 && d.near[i-1] > dist {
		i--
	}
	d.near = append(d.near, 0)
	copy(d.near[i+1:], d.near[i:k])
	d.near[i] = dist
}
