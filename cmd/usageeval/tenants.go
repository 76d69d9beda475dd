package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The kinds of abuse and incident the tenant generator injects, as named in
// kinds.json.
const (
	kindSpike     = "spike"     // a burst of minutes at many times the usual rate
	kindLeakedKey = "leakedkey" // a sustained level shift: about 3× for a day
	kindOffHours  = "offhours"  // night-time use at office-hours level
	kindBot       = "bot"       // a script on a timer: flat, regular traffic on top
	kindOutage    = "outage"    // a drop to about zero, then recovery
	kindRamp      = "ramp"      // gradual growth to several times the level
)

// genKinds is the order in which tenants are given kinds: tenant i gets kinds
// 2i and 2i+1 modulo the list, so every kind appears equally often.
var genKinds = []string{kindSpike, kindLeakedKey, kindOffHours, kindBot, kindOutage, kindRamp}

// genParams are the generator's parameters. defaultGenParams is the set the
// results are reported on; change it only together with the recorded figures.
type genParams struct {
	Tenants int
	Days    int
	Step    time.Duration
	Seed    uint64
	// Start is the time of the first row: a Monday, so that weekends fall at the
	// same place for every tenant.
	Start time.Time
	// FirstDay is the earliest day (from Start) an injected window may start: the
	// history a detector gets before the first abuse.
	FirstDay int
}

var defaultGenParams = genParams{
	Tenants:  24,
	Days:     30,
	Step:     5 * time.Minute,
	Seed:     19,
	Start:    time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC),
	FirstDay: 7,
}

// genLabel is one injected window as kinds.json holds it.
type genLabel struct {
	Kind   string    `json:"kind"`
	Window [2]string `json:"window"`
	Onset  string    `json:"onset"`
}

// tenant is the shape of one tenant's normal usage.
type tenant struct {
	level     float64 // mean usage per step at the weekday peak
	night     float64 // share of the peak left at night: nights are not idle
	peakHour  float64 // centre of the working day, in hours UTC
	width     float64 // half-width of the working day, in hours
	weekend   float64 // share of the weekday level at weekends
	growth    float64 // relative growth per day
	noise     float64 // multiplicative noise, as a log-normal sigma
	burstProb float64 // chance per step of an ordinary busy step (a batch job)
}

// rate is the tenant's expected usage per step at t, before noise and injections.
func (tn tenant) rate(t, start time.Time) float64 {
	h := float64(t.Hour()) + float64(t.Minute())/60
	d := math.Abs(h - tn.peakHour)
	d = min(d, 24-d)
	day := tn.night + (1-tn.night)*math.Exp(-0.5*(d/tn.width)*(d/tn.width))
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		day *= tn.weekend
	}
	days := t.Sub(start).Hours() / 24
	return tn.level * day * (1 + tn.growth*days)
}

// injection is one abuse window on a tenant's series.
type injection struct {
	kind       string
	onset, end time.Time // the pattern is active in [onset, end)
	factor     float64   // how strong: a multiple of the usual rate or of the peak
}

// apply returns the usage at t given the usual rate and the noisy value v.
func (in injection) apply(t time.Time, tn tenant, rate, v float64, rng *rand.Rand) float64 {
	if t.Before(in.onset) || !t.Before(in.end) {
		return v
	}
	switch in.kind {
	case kindSpike:
		return v * in.factor
	case kindLeakedKey:
		return v + rate*(in.factor-1)
	case kindOffHours:
		return v + tn.level*in.factor*(1+0.1*rng.NormFloat64())
	case kindBot:
		return v + math.Round(tn.level*in.factor)
	case kindOutage:
		return v * 0.01
	case kindRamp:
		f := float64(t.Sub(in.onset)) / float64(in.end.Sub(in.onset))
		return v * (1 + (in.factor-1)*f)
	}
	return v
}

// window is the labelled window of the injection: from the hour the pattern
// starts in (a detector of hourly sums can only name that hour) to an hour after
// it ends, for detectors that need the end to see it.
func (in injection) window() (time.Time, time.Time) {
	return in.onset.Truncate(time.Hour), in.end.Add(time.Hour)
}

// generateTenants returns the series and labels of the tenants of p, keyed by
// "category/file.csv".
func generateTenants(p genParams) (map[string][]float64, []time.Time, map[string][]injection) {
	rng := rand.New(rand.NewPCG(p.Seed, p.Seed^0x5eed))
	n := int(time.Duration(p.Days) * 24 * time.Hour / p.Step)
	times := make([]time.Time, n)
	for i := range times {
		times[i] = p.Start.Add(time.Duration(i) * p.Step)
	}
	series := make(map[string][]float64, p.Tenants)
	labels := make(map[string][]injection, p.Tenants)
	for ti := range p.Tenants {
		name := fmt.Sprintf("tenants/tenant_%02d.csv", ti+1)
		tn := tenant{
			level:     math.Exp(math.Log(20) + rng.Float64()*math.Log(100)), // 20 to 2,000 per step
			night:     0.15 + 0.3*rng.Float64(),
			peakHour:  11 + 6*rng.Float64(),
			width:     2.5 + 2*rng.Float64(),
			weekend:   0.3 + 0.4*rng.Float64(),
			growth:    0.01 * rng.Float64(),
			noise:     0.1 + 0.15*rng.Float64(),
			burstProb: 0.002,
		}
		var ins []injection
		for k := range 2 {
			kind := genKinds[(2*ti+k)%len(genKinds)]
			// The first window falls in the first half after FirstDay, the second in
			// the second half, so they never overlap.
			span := (p.Days - p.FirstDay - 2) / 2
			day := p.FirstDay + k*span + rng.IntN(max(span-3, 1))
			ins = append(ins, newInjection(kind, p.Start.AddDate(0, 0, day), tn, rng))
		}
		labels[name] = ins
		vals := make([]float64, n)
		for i, t := range times {
			rate := tn.rate(t, p.Start)
			v := rate * math.Exp(tn.noise*rng.NormFloat64()-tn.noise*tn.noise/2)
			if rng.Float64() < tn.burstProb {
				v *= 1.5 + rng.Float64()
			}
			for _, in := range ins {
				v = in.apply(t, tn, rate, v, rng)
			}
			vals[i] = math.Max(0, math.Round(v))
		}
		series[name] = vals
	}
	return series, times, labels
}

// newInjection places an injection of kind on day (midnight UTC) for tn.
func newInjection(kind string, day time.Time, tn tenant, rng *rand.Rand) injection {
	minute := func(lo, hi float64) time.Duration {
		return time.Duration(int((lo+(hi-lo)*rng.Float64())*12)*5) * time.Minute
	}
	in := injection{kind: kind}
	switch kind {
	case kindSpike:
		in.onset = day.Add(minute(8, 20))
		in.end = in.onset.Add(minute(0.25, 1))
		in.factor = 5 + 10*rng.Float64()
	case kindLeakedKey:
		in.onset = day.Add(minute(0, 24))
		in.end = in.onset.Add(24 * time.Hour)
		in.factor = 2.5 + rng.Float64()
	case kindOffHours:
		// The tenant's night is twelve hours from its peak.
		night := math.Mod(tn.peakHour+12-2, 24)
		in.onset = day.Add(minute(night, night+1))
		in.end = in.onset.Add(minute(2, 4))
		in.factor = 0.8 + 0.4*rng.Float64()
	case kindBot:
		in.onset = day.Add(minute(0, 24))
		in.end = in.onset.Add(minute(8, 24))
		in.factor = 0.5 + 0.5*rng.Float64()
	case kindOutage:
		in.onset = day.Add(minute(8, 18))
		in.end = in.onset.Add(minute(1, 4))
	case kindRamp:
		in.onset = day.Add(minute(0, 24))
		in.end = in.onset.Add(minute(36, 72))
		in.factor = 3 + rng.Float64()
	}
	return in
}

// runGen writes generated tenants in NAB layout with kinds.json beside the windows.
func runGen(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(out)
	p := defaultGenParams
	dir := fs.String("out", "", "output `dir`: dir/data/tenants/*.csv, dir/labels/combined_windows.json and kinds.json")
	fs.IntVar(&p.Tenants, "tenants", p.Tenants, "number of tenants")
	fs.IntVar(&p.Days, "days", p.Days, "days of usage per tenant")
	fs.DurationVar(&p.Step, "step", p.Step, "time between rows")
	fs.Uint64Var(&p.Seed, "seed", p.Seed, "random seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || fs.NArg() > 0 {
		return fmt.Errorf("gen: want -out DIR and no arguments")
	}
	if p.Tenants < 1 || p.Days < p.FirstDay+8 || p.Step < time.Minute || p.Step > time.Hour {
		return fmt.Errorf("gen: want at least one tenant, %d days or more and a step from 1m to 1h",
			p.FirstDay+8)
	}
	return writeTenants(*dir, p)
}

// writeTenants generates the tenants of p into dir.
func writeTenants(dir string, p genParams) error {
	series, times, labels := generateTenants(p)
	windows := make(map[string][][2]string, len(series))
	kinds := make(map[string][]genLabel, len(series))
	for name, vals := range series {
		var b strings.Builder
		b.WriteString("timestamp,value\n")
		for i, t := range times {
			fmt.Fprintf(&b, "%s,%g\n", t.Format(time.DateTime), vals[i])
		}
		path := filepath.Join(dir, "data", filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			return err
		}
		windows[name] = [][2]string{}
		for _, in := range labels[name] {
			from, to := in.window()
			w := [2]string{nabTime(from), nabTime(to)}
			windows[name] = append(windows[name], w)
			kinds[name] = append(kinds[name], genLabel{Kind: in.kind, Window: w, Onset: nabTime(in.onset)})
		}
		slices.SortFunc(kinds[name], func(a, b genLabel) int { return strings.Compare(a.Window[0], b.Window[0]) })
		slices.SortFunc(windows[name], func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	}
	for file, v := range map[string]any{"combined_windows.json": windows, "kinds.json": kinds} {
		raw, err := json.MarshalIndent(v, "", "    ")
		if err != nil {
			return err
		}
		path := filepath.Join(dir, "labels", file)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// nabTime formats t as NAB's label files do.
func nabTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000000") }
