package anomaly_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/usagekit/usage/anomaly"
)

// hourlyTenant returns n hourly totals of a business tenant from t0 (a Monday): busy
// 9:00–17:00 UTC, nights at a tenth of that, weekends at a quarter, with noise.
func hourlyTenant(n int, seed uint64) ([]time.Time, []float64) {
	r := rand.New(rand.NewPCG(seed, 3))
	return series(n, time.Hour, func(i int) float64 {
		at := t0.Add(time.Duration(i) * time.Hour)
		v := 10.0
		if at.Hour() >= 9 && at.Hour() < 17 {
			v = 100
		}
		if wd := at.Weekday(); wd == time.Saturday || wd == time.Sunday {
			v /= 4
		}
		return v * math.Exp(0.1*r.NormFloat64())
	})
}

func TestOffHoursWithAmountFiresOnlyForHeavyUseAtAQuietHour(t *testing.T) {
	learn := func(cfg anomaly.OffHoursConfig) *anomaly.OffHours {
		d := anomaly.NewOffHours(cfg)
		for h := range 14 * 24 { // nights at a tenth of the day: quiet, not idle
			at := t0.Add(time.Duration(h) * time.Hour)
			v := 5.0
			if at.Hour() >= 9 && at.Hour() < 17 {
				v = 50
			}
			d.Update(at, v)
		}
		return d
	}
	night := t0.Add(14*24*time.Hour + 3*time.Hour)
	if s := learn(anomaly.OffHoursConfig{}).Update(night, 50); s.Fired {
		t.Errorf("default: a night that is not idle fired: %+v", s)
	}
	usage := anomaly.UsageEnsembleConfig().OffHours
	if s := learn(usage).Update(night, 5); s.Fired {
		t.Errorf("with Amount: the usual trickle of the night fired: %+v", s)
	}
	if s := learn(usage).Update(night, 50); !s.Fired {
		t.Errorf("with Amount: office-hours usage at night did not fire: %+v", s)
	}
}

func TestSeasonalHourOfWorkdayKeepsWeekendsApart(t *testing.T) {
	times, values := hourlyTenant(24*26, 1) // to the fourth Saturday: 6 weekend days
	sat := t0.Add(26*24*time.Hour + 12*time.Hour)
	run := func(season anomaly.Season) anomaly.Score {
		d := anomaly.NewSeasonal(anomaly.SeasonalConfig{Season: season, Depth: 48, MinPoints: 5})
		for i := range times {
			d.Update(times[i], values[i])
		}
		return d.Update(sat, 25)
	}
	if s := run(anomaly.HourOfDay); !s.Fired {
		t.Errorf("HourOfDay: an ordinary Saturday noon did not stand out against weekdays: %+v", s)
	}
	if s := run(anomaly.HourOfWorkday); !s.Ready || s.Fired {
		t.Errorf("HourOfWorkday: an ordinary Saturday noon fired or was not scored: %+v", s)
	}
}

func TestUsageEnsembleAlarmsOnAnOutageWithoutSuspectingItsRecovery(t *testing.T) {
	times, values := hourlyTenant(24*28, 2)
	outage := 24*22 + 9 // a Tuesday morning, four hours at zero
	for i := outage; i < outage+4; i++ {
		values[i] = 0
	}
	got := anomaly.NewEnsemble(anomaly.UsageEnsembleConfig()).Detect(times, values)
	alarms := slices.IndexFunc(got[outage:outage+4], func(a anomaly.Assessment) bool { return a.Alarm })
	if alarms < 0 {
		t.Errorf("no alarm during the outage")
	}
	for i := outage; i < outage+24; i++ {
		if got[i].FraudSuspect {
			t.Errorf("point %d (%s), after the outage, is a fraud suspect: %+v", i, times[i], got[i])
		}
	}
}

func TestDefaultEnsembleRaisesNoSinglePointAlarm(t *testing.T) {
	times, values := hourlyTenant(24*28, 3)
	values[24*23+14] *= 5
	for i, a := range anomaly.NewEnsemble(anomaly.EnsembleConfig{}).Detect(times, values) {
		if slices.ContainsFunc(a.Reasons, func(r anomaly.Reason) bool { return r.Detector == anomaly.NameSpike }) {
			t.Errorf("point %d has reason %s, which only SpikeZ enables: %+v", i, anomaly.NameSpike, a)
		}
	}
}
