package anomaly

import (
	"cmp"
	"math"
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
	// K is the number of nearest contexts averaged. Defaults to 5.
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
}

// NewKNN returns a KNN detector.
func NewKNN(cfg KNNConfig) *KNN {
	cfg.Segments = max(cmp.Or(cfg.Segments, 5), 1)
	cfg.Dim = max(cmp.Or(cfg.Dim, 20), cfg.Segments)
	seg := (cfg.Dim + cfg.Segments - 1) / cfg.Segments
	cfg.Dim = seg * cfg.Segments
	cfg.History = max(cmp.Or(cfg.History, 1000), 2)
	cfg.K = min(max(cmp.Or(cfg.K, 5), 1), cfg.History)
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
	cur := d.vecs[d.next*p : (d.next+1)*p]
	for s := range p {
		var sum float64
		for j := range d.seg {
			sum += d.raw.at(s*d.seg + j)
		}
		cur[s] = sum / float64(d.seg)
	}
	slots := len(d.vecs) / p
	d.next = (d.next + 1) % slots
	d.nvec = min(d.nvec+1, slots)
	// Contexts overlapping the current one are trivially close: candidates are the
	// stored contexts except the latest Dim.
	candidates := d.nvec - d.cfg.Dim
	if candidates < d.cfg.K {
		return Score{}
	}
	d.near = d.near[:0]
	first := (d.next - d.nvec + slots) % slots
	for c := range candidates {
		i := (first + c) % slots
		vec := d.vecs[i*p : (i+1)*p]
		var dist float64
		for j, x := range vec {
			diff := x - cur[j]
			dist += diff * diff
		}
		d.insertNear(dist)
	}
	var sum float64
	for _, x := range d.near {
		sum += math.Sqrt(x)
	}
	alpha := sum / float64(len(d.near))
	var s Score
	if d.ncm.count() >= d.cfg.MinPoints {
		below := 0
		for _, x := range d.ncm.sorted {
			if x >= alpha {
				break
			}
			below++
		}
		rel := ratio(alpha, d.ncm.median())
		s = Score{Value: float64(below) / float64(d.ncm.count()), Stat: rel, Fired: rel > d.cfg.Threshold}
	}
	if finite(alpha) {
		d.ncm.push(alpha)
	}
	return s
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
