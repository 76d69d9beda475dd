package usage

import (
	"fmt"
	"time"
)

// Cycle is how a subject's billing periods are laid out.
type Cycle string

const (
	// CycleCalendar periods are calendar months in the subject's time zone: from
	// midnight on the 1st to midnight on the 1st of the next month.
	CycleCalendar Cycle = "calendar"
	// CycleAnniversary periods are months anchored to the subscription start: from
	// midnight local time on the anchor's day of the month to the same day the next
	// month. A day the month lacks becomes its last day: an anchor on the 31st gives
	// Jan 31, Feb 28 (29), Mar 31.
	CycleAnniversary Cycle = "anniversary"
)

func (c Cycle) valid() bool { return c == CycleCalendar || c == CycleAnniversary }

// Period is a billing period, [Start, End). A new period starts from zero by
// construction: usage is kept per period, so nothing is ever reset.
type Period struct {
	Start time.Time
	End   time.Time
}

// Contains reports whether t lies in the period.
func (p Period) Contains(t time.Time) bool { return !t.Before(p.Start) && t.Before(p.End) }

// String returns the period as "start/end" in RFC 3339.
func (p Period) String() string {
	return fmt.Sprintf("%s/%s", p.Start.Format(time.RFC3339), p.End.Format(time.RFC3339))
}

// PeriodAt returns the billing period that contains t for a cycle, an anchor (the
// subscription start; only its day of the month in loc matters) and a time zone.
func PeriodAt(t time.Time, cycle Cycle, anchor time.Time, loc *time.Location) Period {
	local := t.In(loc)
	y, m, _ := local.Date()
	day := 1
	if cycle == CycleAnniversary {
		day = anchor.In(loc).Day()
	}
	start := periodStart(y, m, day, loc)
	if local.Before(start) {
		start = periodStart(y, m-1, day, loc)
	}
	sy, sm, _ := start.Date()
	return Period{Start: start, End: periodStart(sy, sm+1, day, loc)}
}

// periodStart is midnight in loc on the given day of month y-m, or on the month's
// last day when it is shorter. time.Date normalises m outside 1..12.
func periodStart(y int, m time.Month, day int, loc *time.Location) time.Time {
	// The calendar arithmetic is done in UTC, where every midnight exists.
	first := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	y, m = first.Year(), first.Month()
	day = min(day, first.AddDate(0, 1, -1).Day())
	start := time.Date(y, m, day, 0, 0, 0, 0, loc)
	if start.Day() != day {
		// A clock change skips that midnight (America/Santiago, America/Havana), and
		// time.Date answers with 23:00 the day before; the day starts when the clock
		// changes instead.
		_, start = start.ZoneBounds()
	}
	return start
}
