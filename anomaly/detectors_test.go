package anomaly_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/usagekit/usage/anomaly"
)

func TestSpikeInNoisySeriesIsFlagged(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"zscore", "mad"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			times, values := noisy(1000, 1)
			values[700] = 200 // 20 standard deviations
			got := anomaly.Detect(allDetectors()[name], times, values)
			if !got[700].Fired || got[700].Stat < 10 {
				t.Fatalf("spike: %+v, want fired with z > 10", got[700])
			}
			// Noise alone fires at |z| > 3 about 0.3 % of the time.
			if n := len(fired(got)); n > 10 {
				t.Errorf("%d points fired in 1000 of noise plus one spike: %v", n, fired(got))
			}
		})
	}
}

func TestSteadySeriesIsNotFlagged(t *testing.T) {
	t.Parallel()
	times, values := noisy(3000, 2)
	for name, d := range allDetectors() {
		if name == "offhours" || name == "regularity" {
			continue // behavioural: their tests say what they flag
		}
		// Pure noise crosses |z| > 3 about 0.3 % of the time.
		if n := len(fired(anomaly.Detect(d, times, values))); n > 30 {
			t.Errorf("%s: %d of 3000 points of a steady series fired", name, n)
		}
	}
	// The ensemble's default alarm level is tuned on NAB, where sensitivity pays:
	// on pure noise it may raise one false alarm in ten days of 5-minute points,
	// never more, and never a fraud suspicion.
	e := anomaly.NewEnsemble(anomaly.EnsembleConfig{})
	var alarms []int
	for i, a := range e.Detect(times, values) {
		if a.Alarm {
			alarms = append(alarms, i)
		}
		if a.FraudSuspect || a.Risk > 95 {
			t.Fatalf("ensemble: point %d of a steady series: %+v", i, a)
		}
	}
	if len(alarms) > 1 {
		t.Errorf("ensemble: alarms at %v in a steady series, want at most one", alarms)
	}
	// A stricter alarm level raises none.
	e = anomaly.NewEnsemble(anomaly.EnsembleConfig{AlarmAt: 0.9})
	for i, a := range e.Detect(times, values) {
		if a.Alarm {
			t.Fatalf("ensemble with AlarmAt 0.9: alarm at %d of a steady series: %+v", i, a)
		}
	}
}

func TestEnsembleFlagsSpikeOnce(t *testing.T) {
	t.Parallel()
	times, values := noisy(3000, 3)
	for i := 2000; i < 2005; i++ {
		values[i] = 250
	}
	got := anomaly.NewEnsemble(anomaly.EnsembleConfig{}).Detect(times, values)
	var alarms []int
	for i, a := range got {
		if a.Alarm {
			alarms = append(alarms, i)
		}
	}
	// One alarm for the five-point spike, none in the quiet period after it, and at
	// most one false alarm from the noise elsewhere (see TestSteadySeriesIsNotFlagged).
	at := slices.Index(alarms, 2000)
	if at < 0 || len(alarms) > 2 || (at+1 < len(alarms) && alarms[at+1] <= 2000+anomaly.DefaultQuiet) {
		t.Fatalf("alarms at %v, want one at 2000 and none in the %d points after it", alarms, anomaly.DefaultQuiet)
	}
	a := got[2000]
	if a.Score < 0.8 || a.Risk < 80 || len(a.Reasons) == 0 {
		t.Errorf("spike assessment %+v: want score ≥ 0.8, risk ≥ 80 and reasons", a)
	}
	if got[2001].Alert != 0 || got[2001].Score < 0.8 {
		t.Errorf("point after the alarm %+v: want a high Score but no Alert", got[2001])
	}
}

func TestEnsembleKNNWarmupLetsAShortSeriesAlarmSooner(t *testing.T) {
	t.Parallel()
	// A cycle of 48 points; the peak of the fifth cycle stays flat at the mean:
	// every value is in range, only the shape is new, which the nearest-contexts
	// member sees once it has ranked KNNWarmup distances of its own.
	r := rand.New(rand.NewPCG(9, 9))
	times, values := series(400, 5*time.Minute, func(i int) float64 {
		return 100 + 50*math.Sin(2*math.Pi*float64(i)/48) + r.NormFloat64()
	})
	flat := [2]int{48*4 + 4, 48*4 + 20}
	for i := flat[0]; i < flat[1]; i++ {
		values[i] = 100
	}
	knnFired := func(cfg anomaly.EnsembleConfig) bool {
		got := anomaly.NewEnsemble(cfg).Detect(times, values)
		for _, a := range got[flat[0] : flat[1]+20] {
			for _, reason := range a.Reasons {
				if reason.Detector == anomaly.NameKNN {
					return true
				}
			}
		}
		return false
	}
	if !knnFired(anomaly.EnsembleConfig{Warmup: 60, KNNWarmup: 60}) {
		t.Error("KNNWarmup 60: the nearest-contexts member did not fire on the flattened peak")
	}
	if knnFired(anomaly.EnsembleConfig{Warmup: 60}) {
		t.Errorf("default KNNWarmup (%d): the member fired before it had ranked that many distances", anomaly.DefaultWindow)
	}
}

func TestLevelShiftIsDetected(t *testing.T) {
	t.Parallel()
	times, values := noisy(1000, 4)
	for i := 600; i < len(values); i++ {
		values[i] += 40 // 8 standard deviations, sustained
	}
	got := anomaly.Detect(anomaly.NewLevelShift(anomaly.LevelShiftConfig{}), times, values)
	first := slices.IndexFunc(got, func(s anomaly.Score) bool { return s.Fired })
	if first < 600 || first > 610 {
		t.Fatalf("level shift at 600 first fired at %d, want within Recent/2 points", first)
	}
	if got[605].Stat < 3 {
		t.Errorf("shift stat %v, want > 3", got[605].Stat)
	}
	// A lone spike does not move the recent median.
	times, values = noisy(1000, 5)
	values[700] = 1000
	if f := fired(anomaly.Detect(anomaly.NewLevelShift(anomaly.LevelShiftConfig{}), times, values)); len(f) > 0 {
		t.Errorf("a single spike fired the level shift detector at %v", f)
	}
}

func TestSeasonalKnowsTheDailyCycle(t *testing.T) {
	t.Parallel()
	times, values := daily(288*10, 6)
	// At the daily trough (i ≡ 216 mod 288), a daily-peak value.
	odd := 288*9 + 216
	values[odd] = 150
	got := anomaly.Detect(anomaly.NewSeasonal(anomaly.SeasonalConfig{Season: anomaly.HourOfDay}), times, values)
	if !got[odd].Fired {
		t.Fatalf("peak value at the trough: %+v, want fired", got[odd])
	}
	// The real daily peak, at the same height, is ordinary.
	peak := 288*9 + 72
	if got[peak].Fired {
		t.Errorf("ordinary daily peak fired: %+v", got[peak])
	}
	// Plain z-scores cannot tell: 150 is within the day's range.
	z := anomaly.Detect(anomaly.NewZScore(anomaly.RollingConfig{}), times, values)
	if z[odd].Fired {
		t.Errorf("zscore fired on an in-range value (%+v): the test series is too easy", z[odd])
	}
}

func TestKNNFlagsAMissingDailyPeak(t *testing.T) {
	t.Parallel()
	times, values := daily(288*8, 7)
	// Day 6's peak stays flat at the mean: every value is in range, the shape is not.
	for i := 288*6 + 20; i < 288*6+124; i++ {
		values[i] = 100
	}
	got := anomaly.Detect(anomaly.NewKNN(anomaly.KNNConfig{}), times, values)
	best := 0.0
	for _, s := range got[288*6+20 : 288*6+124] {
		best = max(best, s.Stat)
	}
	if best < 3 {
		t.Fatalf("missing peak: largest relative distance %.2f, want > 3", best)
	}
	for i, s := range got[288*3 : 288*6] {
		if s.Fired {
			t.Fatalf("ordinary day fired at %d: %+v", 288*3+i, s)
		}
	}
}

func TestVelocity(t *testing.T) {
	t.Parallel()
	// Two hours of 5-minute points: 12 at prev, then 12 at cur. MinBase is 10, so
	// hourly totals: prev·12 against cur·12, with the base floored at 10.
	tests := []struct {
		name      string
		prev, cur float64
		wantStat  float64
		wantFired bool
	}{
		{"steady", 10, 10, 0, false},
		{"doubling", 10, 20, 1, false},
		{"sevenfold", 10, 70, 6, true},
		{"tiny base is guarded", 0, 0.5, 0.6, false}, // 0 → 6 is not an infinite jump
		{"zero base, real jump", 0, 10, 12, true},
		{"drop", 10, 1, -0.9, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := anomaly.NewVelocity(anomaly.VelocityConfig{MinBase: 10})
			var s anomaly.Score
			for i := range 25 {
				v := tt.prev
				if i > 12 {
					v = tt.cur
				}
				s = d.Update(t0.Add(time.Duration(i)*5*time.Minute), v)
				if i < 24 && s.Ready {
					t.Fatalf("ready after %d points, before two full hours", i+1)
				}
			}
			if !s.Ready || s.Fired != tt.wantFired || math.Abs(s.Stat-tt.wantStat) > 1e-9 {
				t.Errorf("got %+v, want fired=%v stat=%v", s, tt.wantFired, tt.wantStat)
			}
			if s.Value < 0 || s.Value > 1 {
				t.Errorf("value %v outside [0, 1]", s.Value)
			}
		})
	}
}

func TestOffHoursInSubjectTimeZone(t *testing.T) {
	t.Parallel()
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	d := anomaly.NewOffHours(anomaly.OffHoursConfig{Location: tokyo})
	start := time.Date(2025, 3, 3, 0, 0, 0, 0, tokyo)
	// Two weeks of usage only during Tokyo office hours, 9:00–18:00.
	for h := range 14 * 24 {
		at := start.Add(time.Duration(h) * time.Hour)
		v := 0.0
		if at.Hour() >= 9 && at.Hour() < 18 {
			v = 100
		}
		if s := d.Update(at, v); s.Fired {
			t.Fatalf("office-hours pattern fired at %v: %+v", at, s)
		}
	}
	// 03:00 in Tokyo is 18:00 UTC the day before: idle for the subject.
	night := time.Date(2025, 3, 17, 3, 0, 0, 0, tokyo)
	if s := d.Update(night.In(time.UTC), 100); !s.Fired || s.Stat != 0 {
		t.Errorf("usage at 03:00 Tokyo: %+v, want fired with stat 0", s)
	}
	// 10:00 in Tokyo is 01:00 UTC: ordinary for the subject, though night in UTC.
	morning := time.Date(2025, 3, 17, 10, 0, 0, 0, tokyo)
	if s := d.Update(morning.In(time.UTC), 100); s.Fired {
		t.Errorf("usage at 10:00 Tokyo fired: %+v", s)
	}
}

func TestRegularityFlagsBotCounts(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(8, 8))
	bot := anomaly.NewRegularity(anomaly.RegularityConfig{})
	human := anomaly.NewRegularity(anomaly.RegularityConfig{})
	var botFired, humanFired int
	for i := range 500 {
		at := t0.Add(time.Duration(i) * 5 * time.Minute)
		if bot.Update(at, 60).Fired { // one call every 5 s, every interval
			botFired++
		}
		if human.Update(at, float64(poisson(r, 60))).Fired {
			humanFired++
		}
	}
	if botFired < 470 || humanFired > 0 {
		t.Errorf("fired for %d bot and %d human intervals of 500", botFired, humanFired)
	}
}

// poisson draws from a Poisson distribution with mean lambda (Knuth's method).
func poisson(r *rand.Rand, lambda float64) int {
	limit, p, k := math.Exp(-lambda), 1.0, 0
	for {
		p *= r.Float64()
		if p <= limit {
			return k
		}
		k++
	}
}

func TestCheckEvents(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(9, 9))
	var events []anomaly.Event
	at := t0
	for range 300 { // human: exponential gaps, mean 30 s
		at = at.Add(time.Duration(r.ExpFloat64() * 30 * float64(time.Second)))
		events = append(events, anomaly.Event{Subject: "alice", Time: at})
	}
	for i := range 300 { // bot: every 30 s with 0.5 s jitter
		jitter := time.Duration(r.Float64() * float64(500*time.Millisecond))
		events = append(events, anomaly.Event{Subject: "bot", Time: t0.Add(time.Duration(i)*30*time.Second + jitter)})
	}
	for i := range 100 { // burst: 100 calls in 10 s, an hour later
		events = append(events, anomaly.Event{Subject: "carol", Time: t0.Add(time.Hour + time.Duration(i)*100*time.Millisecond)})
	}
	got := anomaly.CheckEvents(events, anomaly.EventConfig{})
	if len(got) != 3 {
		t.Fatalf("findings %+v, want bot regular and two for carol", got)
	}
	if got[0].Subject != "bot" || got[0].Kind != anomaly.Regular || got[0].Stat > 0.1 || got[0].Events != 300 {
		t.Errorf("finding 0 = %+v, want bot regular", got[0])
	}
	// carol's 100 events 0.1 s apart are both a burst and, being evenly spaced,
	// regular.
	kinds := []anomaly.FindingKind{got[1].Kind, got[2].Kind}
	if got[1].Subject != "carol" || got[2].Subject != "carol" || !slices.Contains(kinds, anomaly.Burst) {
		t.Errorf("findings 1, 2 = %+v, %+v, want carol's burst", got[1], got[2])
	}
	for _, f := range got {
		if f.Kind == anomaly.Burst && (f.Events != 100 || f.Stat != 100) {
			t.Errorf("burst %+v, want 100 events", f)
		}
	}
	if cv := anomaly.ArrivalCV(times(events[:300])); cv < 0.8 || cv > 1.2 {
		t.Errorf("Poisson arrivals have CV %.2f, want about 1", cv)
	}
	if cv := anomaly.ArrivalCV(times(events[:2])); !math.IsNaN(cv) {
		t.Errorf("CV of two events = %v, want NaN", cv)
	}
}

func times(events []anomaly.Event) []time.Time {
	out := make([]time.Time, len(events))
	for i, e := range events {
		out[i] = e.Time
	}
	return out
}

// TestCausal checks that the scores of a prefix do not depend on later points: each
// detector run on the first k points gives the same scores as on the whole series.
func TestCausal(t *testing.T) {
	t.Parallel()
	times, values := daily(3000, 10)
	for i := 1500; i < 1510; i++ {
		values[i] *= 3
	}
	const k = 1700
	full := allDetectors()
	prefix := allDetectors()
	for name := range full {
		all := anomaly.Detect(full[name], times, values)
		part := anomaly.Detect(prefix[name], times[:k], values[:k])
		if !slices.Equal(all[:k], part) {
			t.Errorf("%s: scores of the first %d points change when later points exist", name, k)
		}
	}
}

func TestNonFiniteInputsAreIgnored(t *testing.T) {
	t.Parallel()
	times, values := noisy(600, 11)
	clean := allDetectors()
	dirty := allDetectors()
	for name := range clean {
		want := anomaly.Detect(clean[name], times, values)
		var got []anomaly.Score
		for i, v := range values {
			for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
				if s := dirty[name].Update(times[i], bad); s != (anomaly.Score{}) {
					t.Fatalf("%s: Update(%v) = %+v, want zero", name, bad, s)
				}
			}
			got = append(got, dirty[name].Update(times[i], v))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: NaN/Inf inputs changed the state", name)
		}
	}
}
