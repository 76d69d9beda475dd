package main

import (
	"math"
	"reflect"
	"testing"
)

func TestGenerateTenants(t *testing.T) {
	p := defaultGenParams
	p.Tenants = 6
	series, times, labels := generateTenants(p)
	again, _, _ := generateTenants(p)
	if !reflect.DeepEqual(series, again) {
		t.Fatal("two runs with the same seed differ")
	}
	if want := p.Days * 24 * 12; len(times) != want {
		t.Fatalf("%d rows, want %d", len(times), want)
	}
	kinds := map[string]int{}
	for name, ins := range labels {
		vals := series[name]
		if len(ins) != 2 {
			t.Errorf("%s: %d injections, want 2", name, len(ins))
		}
		for _, v := range vals {
			if v < 0 || math.IsNaN(v) {
				t.Fatalf("%s: value %v", name, v)
			}
		}
		for _, in := range ins {
			kinds[in.kind]++
			from, to := in.window()
			if from.Before(p.Start.AddDate(0, 0, p.FirstDay)) || to.After(times[len(times)-1]) {
				t.Errorf("%s: %s window %v–%v outside the series", name, in.kind, from, to)
			}
			// The pattern must show against the same hours of the week before.
			now, before := 0.0, 0.0
			for i, tm := range times {
				if !tm.Before(in.onset) && tm.Before(in.end) {
					now += vals[i]
					before += vals[i-7*24*12]
				}
			}
			switch in.kind {
			case kindOutage:
				if now > 0.1*before {
					t.Errorf("%s: outage keeps %v of %v", name, now, before)
				}
			case kindRamp:
				if now < 1.3*before {
					t.Errorf("%s: ramp %v against %v", name, now, before)
				}
			default:
				if now < 1.5*before {
					t.Errorf("%s: %s %v against %v", name, in.kind, now, before)
				}
			}
		}
	}
	for _, k := range genKinds {
		if kinds[k] != 2 {
			t.Errorf("%d windows of %s, want 2", kinds[k], k)
		}
	}
	// Nights are not idle: the quietest hour keeps a share of the busiest.
	vals := series["tenants/tenant_01.csv"]
	var hours [24]float64
	for i, tm := range times[:7*24*12] {
		hours[tm.Hour()] += vals[i]
	}
	lo, hi := hours[0], hours[0]
	for _, h := range hours {
		lo, hi = min(lo, h), max(hi, h)
	}
	if lo < 0.1*hi {
		t.Errorf("quietest hour %v against busiest %v: nights idle", lo, hi)
	}
}
