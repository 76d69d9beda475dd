package anomaly

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Event is one usage event of a subject (a user, an API key, a tenant).
type Event struct {
	Subject string    // who: events are grouped by this key
	Time    time.Time // when it happened
}

// EventConfig configures [CheckEvents]. The zero value uses the defaults.
type EventConfig struct {
	// MinEvents is the number of events a subject needs before its regularity is
	// judged. Defaults to 20.
	MinEvents int
	// MaxCV is the coefficient of variation of inter-arrival times below which
	// arrivals are too regular for people. Poisson (human-like) arrivals have a CV
	// near 1; a timer has a CV near 0. Defaults to 0.1.
	MaxCV float64
	// BurstWindow and BurstEvents define a burst: more than BurstEvents events
	// within BurstWindow. Default to 1 minute and 60 events.
	BurstWindow time.Duration
	BurstEvents int
}

// WithDefaults returns c with its zero fields set to their defaults, as
// [CheckEvents] uses it.
func (c EventConfig) WithDefaults() EventConfig {
	c.MinEvents = max(cmp.Or(c.MinEvents, 20), 3)
	c.MaxCV = cmp.Or(c.MaxCV, 0.1)
	c.BurstWindow = cmp.Or(c.BurstWindow, time.Minute)
	c.BurstEvents = cmp.Or(c.BurstEvents, 60)
	return c
}

// FindingKind is the kind of a [Finding].
type FindingKind string

const (
	// Regular means bot-like regular arrivals.
	Regular FindingKind = "regular"
	// Burst means too many events in too short a time.
	Burst FindingKind = "burst"
)

// Finding is a suspicious stretch of one subject's events.
type Finding struct {
	Subject    string      // the subject's key, empty from Bursts
	Kind       FindingKind // Regular or Burst
	Start, End time.Time   // first and last event concerned
	Events     int         // number of events concerned
	// Stat is the coefficient of variation of inter-arrival times for Regular,
	// the largest number of events in one BurstWindow for Burst.
	Stat float64
}

// CheckEvents groups events by subject and reports, per subject, bot-like regular
// arrivals over all its events and every burst. The events need not be sorted and
// are not modified. Findings are ordered by subject, then start time.
func CheckEvents(events []Event, cfg EventConfig) []Finding {
	cfg = cfg.WithDefaults()
	bySubject := make(map[string][]time.Time)
	for _, e := range events {
		bySubject[e.Subject] = append(bySubject[e.Subject], e.Time)
	}
	subjects := make([]string, 0, len(bySubject))
	for s := range bySubject {
		subjects = append(subjects, s)
	}
	slices.Sort(subjects)
	var out []Finding
	for _, s := range subjects {
		times := bySubject[s]
		slices.SortFunc(times, time.Time.Compare)
		if len(times) >= cfg.MinEvents {
			if cv := ArrivalCV(times); cv < cfg.MaxCV {
				out = append(out, Finding{Subject: s, Kind: Regular, Start: times[0],
					End: times[len(times)-1], Events: len(times), Stat: cv})
			}
		}
		for _, b := range Bursts(times, cfg.BurstWindow, cfg.BurstEvents) {
			b.Subject = s
			out = append(out, b)
		}
	}
	return out
}

// ArrivalCV is the coefficient of variation (standard deviation over mean) of the
// gaps between consecutive times, which must be sorted. About 1 for Poisson
// arrivals, near 0 for a timer. It is NaN for fewer than three times or when all
// times are equal.
func ArrivalCV(times []time.Time) float64 {
	if len(times) < 3 {
		return math.NaN()
	}
	var sum, sumSq float64
	for i := 1; i < len(times); i++ {
		g := times[i].Sub(times[i-1]).Seconds()
		sum += g
		sumSq += g * g
	}
	n := float64(len(times) - 1)
	mean := sum / n
	if !(mean > 0) {
		return math.NaN()
	}
	return math.Sqrt(max(sumSq/n-mean*mean, 0)) / mean
}

// Bursts returns the maximal stretches of sorted times in which some window of
// length window holds more than limit events, as Findings of kind Burst (Subject
// left empty). Stat is the largest number of events in one window of the stretch.
// O(len(times)).
func Bursts(times []time.Time, window time.Duration, limit int) []Finding {
	var out []Finding
	lo := 0
	for hi, t := range times {
		for times[lo].Before(t.Add(-window)) {
			lo++
		}
		n := hi - lo + 1
		if n <= limit {
			continue
		}
		if k := len(out) - 1; k >= 0 && !times[lo].After(out[k].End) {
			out[k].End = t
			out[k].Stat = max(out[k].Stat, float64(n))
			continue
		}
		out = append(out, Finding{Kind: Burst, Start: times[lo], End: t, Stat: float64(n)})
	}
	for i := range out {
		out[i].Events = countBetween(times, out[i].Start, out[i].End)
	}
	return out
}

func countBetween(times []time.Time, start, end time.Time) int {
	lo, _ := slices.BinarySearchFunc(times, start, time.Time.Compare)
	hi, _ := slices.BinarySearchFunc(times, end.Add(1), time.Time.Compare)
	return hi - lo
}
