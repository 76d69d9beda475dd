package anomaly

import (
	"cmp"
	"math"
	"time"
)

// Season is how [Seasonal] splits time into slots that share a baseline.
type Season int

const (
	// HourOfWeek compares a point with the same hour on the same weekday (168 slots):
	// Monday 09:00 with earlier Mondays 09:00.
	HourOfWeek Season = iota
	// HourOfDay compares a point with the same hour on every day (24 slots).
	HourOfDay
	// HourOfWorkday compares a point with the same hour on days of the same kind,
	// Monday to Friday or weekend (48 slots): the weekly shape of business usage
	// from a week or two of history, where HourOfWeek needs several weeks.
	HourOfWorkday
)

// SeasonalConfig configures a [Seasonal] detector. The zero value uses the defaults.
type SeasonalConfig struct {
	// Location is the subject's time zone, in which hours and weekdays are taken.
	// Defaults to UTC.
	Location *time.Location
	// Season picks the slots. Defaults to HourOfWeek.
	Season Season
	// Depth is the number of past points kept per slot. Defaults to 36 (three weeks
	// of 5-minute points per hour of the week).
	Depth int
	// MinPoints is how many past points a slot needs before it scores. Defaults to
	// 8.
	MinPoints int
	// Threshold is the |z| above which Fired is set. Defaults to DefaultZ.
	Threshold float64
}

// Seasonal compares each point with the points seen before at the same time of the
// week (or day) in the subject's time zone: a robust z-score against that slot's
// median and scaled MAD, as in [MAD]. It catches usage that is ordinary for the day
// as a whole but not for the hour, such as a business-hours peak at night, and it
// does not flag the daily peak itself. Points in a new slot score 0 until the slot
// has MinPoints points, so it needs a few weeks of history with HourOfWeek.
// O(Depth) per point, 168·Depth values of memory.
//
// Score.Stat is the robust z (signed). Score.Value is its z-value, as for [ZScore].
type Seasonal struct {
	cfg   SeasonalConfig
	slots []sortedWindow
	// usual is the slot median the latest point was scored against, for the
	// ensemble's relative check.
	usual float64
}

// NewSeasonal returns a Seasonal detector.
func NewSeasonal(cfg SeasonalConfig) *Seasonal {
	cfg.Location = cmp.Or(cfg.Location, time.UTC)
	cfg.Depth = max(cmp.Or(cfg.Depth, 36), 2)
	cfg.MinPoints = min(max(cmp.Or(cfg.MinPoints, 8), 2), cfg.Depth)
	cfg.Threshold = cmp.Or(cfg.Threshold, DefaultZ)
	n := 168
	switch cfg.Season {
	case HourOfDay:
		n = 24
	case HourOfWorkday:
		n = 48
	}
	return &Seasonal{cfg: cfg, slots: make([]sortedWindow, n)}
}

// Update scores v against its slot's baseline, then adds it to the slot.
func (d *Seasonal) Update(t time.Time, v float64) Score {
	if !finite(v) {
		return Score{}
	}
	lt := t.In(d.cfg.Location)
	i := lt.Hour()
	switch d.cfg.Season {
	case HourOfWeek:
		i += 24 * int(lt.Weekday())
	case HourOfWorkday:
		if wd := lt.Weekday(); wd == time.Saturday || wd == time.Sunday {
			i += 24
		}
	}
	slot := &d.slots[i]
	if slot.sorted == nil {
		*slot = newSortedWindow(d.cfg.Depth)
	}
	var s Score
	if slot.count() >= d.cfg.MinPoints {
		med := slot.median()
		d.usual = med
		z := ratio(v-med, robustScale(slot, med))
		s = Score{Value: zValue(z), Stat: z, Fired: math.Abs(z) > d.cfg.Threshold, Ready: true}
	}
	slot.push(v)
	return s
}
