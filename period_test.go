package usage

import (
	"fmt"
	"testing"
	"time"
	_ "time/tzdata" // the same zone rules on every machine
)

func loadLocation(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

// localTime parses "2006-01-02 15:04:05.999999" as wall-clock time in loc.
func localTime(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	tm, err := time.ParseInLocation("2006-01-02 15:04:05.999999", s, loc)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return tm
}

func TestPeriodAt(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name   string
		zone   string
		cycle  Cycle
		anchor string // local time in zone; empty for the calendar cycle
		at     string // local time in zone
		start  string // local time in zone
		end    string // local time in zone
	}{
		// Calendar months.
		{"calendar mid-month", "UTC", CycleCalendar, "", "2026-03-15 12:00:00", "2026-03-01 00:00:00", "2026-04-01 00:00:00"},
		{"calendar exactly at start", "UTC", CycleCalendar, "", "2026-04-01 00:00:00", "2026-04-01 00:00:00", "2026-05-01 00:00:00"},
		{"calendar 1µs before end", "UTC", CycleCalendar, "", "2026-03-31 23:59:59.999999", "2026-03-01 00:00:00", "2026-04-01 00:00:00"},
		{"calendar last µs of year", "UTC", CycleCalendar, "", "2026-12-31 23:59:59.999999", "2026-12-01 00:00:00", "2027-01-01 00:00:00"},
		{"calendar new year", "UTC", CycleCalendar, "", "2027-01-01 00:00:00", "2027-01-01 00:00:00", "2027-02-01 00:00:00"},
		{"calendar leap day", "UTC", CycleCalendar, "", "2028-02-29 12:00:00", "2028-02-01 00:00:00", "2028-03-01 00:00:00"},
		{"calendar february non-leap", "UTC", CycleCalendar, "", "2027-02-28 23:59:59.999999", "2027-02-01 00:00:00", "2027-03-01 00:00:00"},
		{"calendar ignores anchor", "UTC", CycleCalendar, "2026-01-17 08:00:00", "2026-03-15 12:00:00", "2026-03-01 00:00:00", "2026-04-01 00:00:00"},

		// 23:59 local on a month's last day belongs to that month, although it is
		// already the next month in UTC.
		{"new york 23:59 jan 31", "America/New_York", CycleCalendar, "", "2026-01-31 23:59:00", "2026-01-01 00:00:00", "2026-02-01 00:00:00"},
		{"los angeles 23:59 feb 28", "America/Los_Angeles", CycleCalendar, "", "2026-02-28 23:59:00", "2026-02-01 00:00:00", "2026-03-01 00:00:00"},
		{"lisbon summer 23:59 jun 30", "Europe/Lisbon", CycleCalendar, "", "2026-06-30 23:59:00", "2026-06-01 00:00:00", "2026-07-01 00:00:00"},
		{"lisbon summer 00:30 jul 1", "Europe/Lisbon", CycleCalendar, "", "2026-07-01 00:30:00", "2026-07-01 00:00:00", "2026-08-01 00:00:00"},
		{"kiritimati 23:59 jan 31", "Pacific/Kiritimati", CycleCalendar, "", "2026-01-31 23:59:00", "2026-01-01 00:00:00", "2026-02-01 00:00:00"},
		{"kiritimati 00:00 feb 1", "Pacific/Kiritimati", CycleCalendar, "", "2026-02-01 00:00:00", "2026-02-01 00:00:00", "2026-03-01 00:00:00"},

		// Months across a clock change still run from local midnight to local midnight.
		{"new york spring forward", "America/New_York", CycleCalendar, "", "2026-03-08 03:30:00", "2026-03-01 00:00:00", "2026-04-01 00:00:00"},
		{"new york fall back", "America/New_York", CycleCalendar, "", "2026-11-01 01:30:00", "2026-11-01 00:00:00", "2026-12-01 00:00:00"},
		{"lisbon spring forward", "Europe/Lisbon", CycleCalendar, "", "2026-03-29 02:30:00", "2026-03-01 00:00:00", "2026-04-01 00:00:00"},
		{"lisbon fall back", "Europe/Lisbon", CycleCalendar, "", "2026-10-25 01:30:00", "2026-10-01 00:00:00", "2026-11-01 00:00:00"},

		// Anniversary on the 31st: Jan 31, Feb 29 (leap year), Mar 31, Apr 30, May 31.
		{"31st in january", "UTC", CycleAnniversary, "2027-12-31 10:00:00", "2028-02-15 12:00:00", "2028-01-31 00:00:00", "2028-02-29 00:00:00"},
		{"31st 1µs before feb 29", "UTC", CycleAnniversary, "2027-12-31 10:00:00", "2028-02-28 23:59:59.999999", "2028-01-31 00:00:00", "2028-02-29 00:00:00"},
		{"31st at feb 29", "UTC", CycleAnniversary, "2027-12-31 10:00:00", "2028-02-29 00:00:00", "2028-02-29 00:00:00", "2028-03-31 00:00:00"},
		{"31st in march before anchor day", "UTC", CycleAnniversary, "2027-12-31 10:00:00", "2028-03-30 23:59:59.999999", "2028-02-29 00:00:00", "2028-03-31 00:00:00"},
		{"31st at mar 31", "UTC", CycleAnniversary, "2027-12-31 10:00:00", "2028-03-31 00:00:00", "2028-03-31 00:00:00", "2028-04-30 00:00:00"},
		{"31st in april", "UTC", CycleAnniversary, "2027-12-31 10:00:00", "2028-04-30 00:00:00", "2028-04-30 00:00:00", "2028-05-31 00:00:00"},
		{"31st non-leap february", "UTC", CycleAnniversary, "2026-01-31 00:00:00", "2027-02-27 23:59:59.999999", "2027-01-31 00:00:00", "2027-02-28 00:00:00"},
		{"31st non-leap feb 28", "UTC", CycleAnniversary, "2026-01-31 00:00:00", "2027-02-28 00:00:00", "2027-02-28 00:00:00", "2027-03-31 00:00:00"},
		{"31st across new year", "UTC", CycleAnniversary, "2026-01-31 00:00:00", "2027-01-15 00:00:00", "2026-12-31 00:00:00", "2027-01-31 00:00:00"},

		// Anniversary on the 29th and 30th.
		{"29th non-leap", "UTC", CycleAnniversary, "2026-01-29 00:00:00", "2027-02-15 00:00:00", "2027-01-29 00:00:00", "2027-02-28 00:00:00"},
		{"29th after short february", "UTC", CycleAnniversary, "2026-01-29 00:00:00", "2027-03-01 00:00:00", "2027-02-28 00:00:00", "2027-03-29 00:00:00"},
		{"29th leap", "UTC", CycleAnniversary, "2026-01-29 00:00:00", "2028-02-29 00:00:00", "2028-02-29 00:00:00", "2028-03-29 00:00:00"},
		{"29th leap before", "UTC", CycleAnniversary, "2026-01-29 00:00:00", "2028-02-28 23:59:59.999999", "2028-01-29 00:00:00", "2028-02-29 00:00:00"},
		{"30th february", "UTC", CycleAnniversary, "2026-01-30 00:00:00", "2026-02-27 00:00:00", "2026-01-30 00:00:00", "2026-02-28 00:00:00"},
		{"30th at feb 28", "UTC", CycleAnniversary, "2026-01-30 00:00:00", "2026-02-28 00:00:00", "2026-02-28 00:00:00", "2026-03-30 00:00:00"},
		{"1st is calendar", "UTC", CycleAnniversary, "2026-05-01 17:00:00", "2026-08-31 23:59:59.999999", "2026-08-01 00:00:00", "2026-09-01 00:00:00"},
		{"15th exactly at start", "UTC", CycleAnniversary, "2026-01-15 09:00:00", "2026-06-15 00:00:00", "2026-06-15 00:00:00", "2026-07-15 00:00:00"},
		{"15th 1µs before start", "UTC", CycleAnniversary, "2026-01-15 09:00:00", "2026-06-14 23:59:59.999999", "2026-05-15 00:00:00", "2026-06-15 00:00:00"},

		// Anniversary in a time zone, across clock changes.
		{"31st new york through february", "America/New_York", CycleAnniversary, "2026-01-31 22:00:00", "2026-02-28 00:00:00", "2026-02-28 00:00:00", "2026-03-31 00:00:00"},
		{"5th new york spring forward", "America/New_York", CycleAnniversary, "2026-01-05 12:00:00", "2026-03-20 00:00:00", "2026-03-05 00:00:00", "2026-04-05 00:00:00"},
		{"27th lisbon fall back", "Europe/Lisbon", CycleAnniversary, "2026-01-27 12:00:00", "2026-10-25 01:30:00", "2026-09-27 00:00:00", "2026-10-27 00:00:00"},
		{"31st kiritimati", "Pacific/Kiritimati", CycleAnniversary, "2026-01-31 00:00:00", "2026-02-28 00:00:00", "2026-02-28 00:00:00", "2026-03-31 00:00:00"},
		{"31st los angeles", "America/Los_Angeles", CycleAnniversary, "2026-01-31 23:59:00", "2026-02-27 23:59:59.999999", "2026-01-31 00:00:00", "2026-02-28 00:00:00"},

		// Where a clock change skips midnight, the day starts when the clock changes
		// (01:00): 23:30 the evening before belongs to the period before.
		{"asuncion midnight skipped", "America/Asuncion", CycleCalendar, "", "2023-10-01 01:00:00", "2023-10-01 01:00:00", "2023-11-01 00:00:00"},
		{"asuncion evening before", "America/Asuncion", CycleCalendar, "", "2023-09-30 23:30:00", "2023-09-01 00:00:00", "2023-10-01 01:00:00"},
		{"santiago anniversary midnight skipped", "America/Santiago", CycleAnniversary, "2026-01-06 12:00:00", "2026-09-05 23:30:00", "2026-08-06 00:00:00", "2026-09-06 01:00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			loc := loadLocation(t, tt.zone)
			var anchor time.Time
			if tt.anchor != "" {
				anchor = localTime(t, loc, tt.anchor)
			}
			at := localTime(t, loc, tt.at)
			want := Period{Start: localTime(t, loc, tt.start), End: localTime(t, loc, tt.end)}

			got := PeriodAt(at, tt.cycle, anchor, loc)
			if !got.Start.Equal(want.Start) || !got.End.Equal(want.End) {
				t.Fatalf("PeriodAt(%s) = %s, want %s", at, got, want)
			}
			if !got.Contains(at) {
				t.Fatalf("%s does not contain %s", got, at)
			}
			// The same instant seen from another zone lands in the same period.
			if utc := PeriodAt(at.UTC(), tt.cycle, anchor, loc); utc != got {
				t.Fatalf("PeriodAt of the UTC instant = %s, want %s", utc, got)
			}
		})
	}
}

// TestPeriodAtAnchorDayInZone checks that only the anchor's day of the month in the
// subject's zone counts: 03:00 UTC on Jan 31 is still Jan 30 in New York.
func TestPeriodAtAnchorDayInZone(t *testing.T) {
	t.Parallel()

	ny := loadLocation(t, "America/New_York")
	anchor := time.Date(2026, 1, 31, 3, 0, 0, 0, time.UTC)
	got := PeriodAt(localTime(t, ny, "2026-03-15 12:00:00"), CycleAnniversary, anchor, ny)
	want := Period{Start: localTime(t, ny, "2026-02-28 00:00:00"), End: localTime(t, ny, "2026-03-30 00:00:00")}
	if got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	// In UTC the same anchor is the 31st.
	got = PeriodAt(time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC), CycleAnniversary, anchor, time.UTC)
	want = Period{Start: time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)}
	if got != want {
		t.Fatalf("UTC: got %s, want %s", got, want)
	}
}

// TestPeriodAtContiguous walks several years of periods in zones with and without
// clock changes, for the calendar cycle and anchors on every awkward day: each period
// starts at the first instant of its local day (midnight, unless a clock change skips
// it), on the anchor's day or the month's last day, ends where the next one starts,
// and contains every instant from its start to its last microsecond.
func TestPeriodAtContiguous(t *testing.T) {
	t.Parallel()

	zones := []string{
		"UTC", "Europe/Lisbon", "America/New_York", "America/Los_Angeles",
		"Pacific/Kiritimati", "America/Santiago", "America/Havana", "Asia/Beirut",
		"America/Asuncion",
	}
	anchorDays := []int{0, 1, 15, 28, 29, 30, 31} // 0: calendar
	for _, zone := range zones {
		for _, day := range anchorDays {
			t.Run(fmt.Sprintf("%s/%d", zone, day), func(t *testing.T) {
				t.Parallel()
				loc := loadLocation(t, zone)
				cycle, anchor := CycleCalendar, time.Time{}
				if day != 0 {
					cycle, anchor = CycleAnniversary, time.Date(2024, 1, day, 12, 0, 0, 0, loc)
				}
				from := time.Date(2019, 1, 1, 0, 0, 0, 0, loc)
				to := time.Date(2031, 1, 1, 0, 0, 0, 0, loc)

				p := PeriodAt(from, cycle, anchor, loc)
				for n := 0; p.Start.Before(to); n++ {
					checkPeriod(t, p, day, loc)
					if p.End.Sub(p.Start) < 27*24*time.Hour || p.End.Sub(p.Start) > 32*24*time.Hour {
						t.Fatalf("period %d %s lasts %s", n, p, p.End.Sub(p.Start))
					}
					last := p.End.Add(-time.Microsecond)
					if got := PeriodAt(last, cycle, anchor, loc); got != p {
						t.Fatalf("PeriodAt(%s), the last µs of %s, = %s", last, p, got)
					}
					next := PeriodAt(p.End, cycle, anchor, loc)
					if !next.Start.Equal(p.End) {
						t.Fatalf("period %s is followed by %s: not contiguous", p, next)
					}
					p = next
				}

				// Every instant lands in a period that contains it (an odd step hits
				// every hour of the day).
				for at := from; at.Before(to); at = at.Add(7*time.Hour + 13*time.Minute) {
					if got := PeriodAt(at, cycle, anchor, loc); !got.Contains(at) {
						t.Fatalf("PeriodAt(%s) = %s, which does not contain it", at, got)
					}
				}
			})
		}
	}
}

func checkPeriod(t *testing.T, p Period, anchorDay int, loc *time.Location) {
	t.Helper()
	for _, bound := range []time.Time{p.Start, p.End} {
		local := bound.In(loc)
		y, m, d := local.Date()
		want := 1
		if anchorDay != 0 {
			want = min(anchorDay, time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day())
		}
		if d != want {
			t.Fatalf("period %s: bound %s is on day %d, want %d", p, local, d, want)
		}
		if before := bound.Add(-time.Nanosecond).In(loc); before.Day() == d {
			t.Fatalf("period %s: bound %s is not the first instant of its local day", p, local)
		}
		if local.Hour() != 0 && !skipsMidnight(y, m, d, loc) {
			t.Fatalf("period %s: bound %s is not local midnight", p, local)
		}
	}
}

// skipsMidnight reports whether a clock change skips 00:00 on that local day.
func skipsMidnight(y int, m time.Month, d int, loc *time.Location) bool {
	midnight := time.Date(y, m, d, 0, 0, 0, 0, loc)
	return midnight.Day() != d || midnight.Hour() != 0
}

func TestPeriod(t *testing.T) {
	t.Parallel()

	p := Period{Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}
	for _, tt := range []struct {
		at   time.Time
		want bool
	}{
		{p.Start, true},
		{p.Start.Add(-time.Nanosecond), false},
		{p.End.Add(-time.Nanosecond), true},
		{p.End, false},
	} {
		if got := p.Contains(tt.at); got != tt.want {
			t.Errorf("Contains(%s) = %v, want %v", tt.at, got, tt.want)
		}
	}
	if got, want := p.String(), "2026-03-01T00:00:00Z/2026-04-01T00:00:00Z"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	lisbon := loadLocation(t, "Europe/Lisbon")
	summer := PeriodAt(time.Date(2026, 7, 10, 0, 0, 0, 0, time.UTC), CycleCalendar, time.Time{}, lisbon)
	if got, want := summer.String(), "2026-07-01T00:00:00+01:00/2026-08-01T00:00:00+01:00"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
