package main

import (
	"cmp"
	"math"
	"slices"
)

// nabProfile is one of NAB's cost profiles: the reward for a detected window, the
// cost of a missed one and the cost of a false positive.
type nabProfile struct {
	Name, Key  string // Name for people, Key for RESULT lines
	TP, FN, FP float64
}

// nabProfiles are the three profiles of NAB's config/profiles.json.
var nabProfiles = []nabProfile{
	{Name: "standard", Key: "standard", TP: 1, FN: 1, FP: 0.11},
	{Name: "reward low FP", Key: "low_fp", TP: 1, FN: 1, FP: 0.22},
	{Name: "reward low FN", Key: "low_fn", TP: 1, FN: 2, FP: 0.11},
}

// nabProbation is the number of leading rows of a file that are not scored.
func nabProbation(n int) int { return min(n*15/100, 750) }

// nabPoint is one scorable row: its anomaly score, the window it belongs to (a
// corpus-wide id, or -1 outside every window) and the unweighted value of a
// detection there (σ in the window, the FP penalty in [-1, 0] outside).
type nabPoint struct {
	Score  float64
	Window int
	Value  float64
}

// nabScaledSigmoid is NAB's σ(x) = 2/(1+e^(5x)) − 1, with −1 beyond three widths.
func nabScaledSigmoid(x float64) float64 {
	if x > 3 {
		return -1
	}
	return 2/(1+math.Exp(5*x)) - 1
}

// nabPoints turns one file's scores into scorable points. firstWindow is the
// corpus-wide id of the file's first window.
func nabPoints(f nabFile, scores []float64, firstWindow int) []nabPoint {
	probation := nabProbation(len(scores))
	points := make([]nabPoint, 0, len(scores)-probation)
	next := 0        // next window to enter
	cur := -1        // index of the window holding row i, or -1
	prevRight := -1  // right edge of the last window left behind
	prevWidth := 0.0 // its width in rows
	tpNorm := nabScaledSigmoid(-1)
	for i, s := range scores {
		if cur < 0 && next < len(f.Windows) && i == f.Windows[next].Left {
			cur, next = next, next+1
		}
		if math.IsNaN(s) {
			s = math.Inf(-1) // never a detection
		}
		p := nabPoint{Score: s, Window: -1}
		switch {
		case cur >= 0:
			w := f.Windows[cur]
			width := float64(w.Right - w.Left + 1)
			p.Window = firstWindow + cur
			p.Value = nabScaledSigmoid(-float64(w.Right-i+1)/width) / tpNorm
		case prevRight < 0:
			p.Value = -1
		default:
			p.Value = nabScaledSigmoid(math.Abs(float64(i-prevRight)) / (prevWidth - 1))
		}
		if i >= probation {
			points = append(points, p)
		}
		if cur >= 0 && i == f.Windows[cur].Right {
			prevRight, prevWidth = i, float64(f.Windows[cur].Right-f.Windows[cur].Left+1)
			cur = -1
		}
	}
	return points
}

// nabResult is a detector's corpus score under one profile at one threshold.
type nabResult struct {
	Threshold  float64
	Raw        float64 // S, summed over files
	Normalised float64 // 100·(S − S_null)/(S_perfect − S_null)
	Detected   int     // windows with a detection
	Windows    int     // scorable windows
	FP         int     // detections outside every window
}

// nabCorpus is every scorable point of a corpus for one detector.
type nabCorpus struct {
	points   []nabPoint
	windows  int // windows added, for corpus-wide ids
	scorable int // windows with at least one row after probation
}

// add appends one file's scores.
func (c *nabCorpus) add(f nabFile, scores []float64) {
	c.points = append(c.points, nabPoints(f, scores, c.windows)...)
	c.windows += len(f.Windows)
	// Only windows reaching past probation enter S, S_null and S_perfect.
	probation := nabProbation(len(scores))
	for _, w := range f.Windows {
		if w.Right >= probation {
			c.scorable++
		}
	}
}

func (c *nabCorpus) normalise(prof nabProfile, raw float64, windows int) float64 {
	null := -prof.FN * float64(windows)
	perfect := prof.TP * float64(windows)
	return 100 * (raw - null) / (perfect - null)
}

// scoreAt scores the corpus with detections at score ≥ threshold.
func (c *nabCorpus) scoreAt(prof nabProfile, threshold float64) nabResult {
	windows := c.scorable
	best := make(map[int]float64)
	var fp float64
	var nfp int
	for _, p := range c.points {
		if p.Score < threshold {
			continue
		}
		if p.Window < 0 {
			fp += prof.FP * p.Value
			nfp++
			continue
		}
		best[p.Window] = max(best[p.Window], prof.TP*p.Value)
	}
	raw := fp - prof.FN*float64(windows-len(best))
	for _, v := range best {
		raw += v
	}
	return nabResult{Threshold: threshold, Raw: raw, Normalised: c.normalise(prof, raw, windows),
		Detected: len(best), Windows: windows, FP: nfp}
}

// optimise sweeps every distinct score as the threshold, as NAB's optimiser does, and
// returns the best corpus score (the highest threshold among ties).
func (c *nabCorpus) optimise(prof nabProfile) nabResult {
	windows := c.scorable
	order := slices.Clone(c.points)
	slices.SortStableFunc(order, func(a, b nabPoint) int { return cmp.Compare(b.Score, a.Score) })
	bestIn := make(map[int]float64) // window → best detection value so far
	raw := -prof.FN * float64(windows)
	res := nabResult{Threshold: math.Inf(1), Raw: raw, Windows: windows}
	nfp := 0
	for i, p := range order {
		if p.Window < 0 {
			raw += prof.FP * p.Value
			nfp++
		} else if v, seen := bestIn[p.Window]; !seen {
			bestIn[p.Window] = prof.TP * p.Value
			raw += prof.FN + prof.TP*p.Value
		} else if prof.TP*p.Value > v {
			bestIn[p.Window] = prof.TP * p.Value
			raw += prof.TP*p.Value - v
		}
		if i+1 < len(order) && order[i+1].Score == p.Score {
			continue
		}
		if raw > res.Raw {
			res = nabResult{Threshold: p.Score, Raw: raw, Windows: windows, Detected: len(bestIn), FP: nfp}
		}
	}
	res.Normalised = c.normalise(prof, res.Raw, windows)
	return res
}
