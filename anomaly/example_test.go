package anomaly_test

import (
	"fmt"
	"math"
	"time"

	"github.com/usagekit/usage/anomaly"
)

// A spike in a steady series, scored one point at a time.
func ExampleMAD() {
	d := anomaly.NewMAD(anomaly.RollingConfig{Window: 50, MinPoints: 10})
	start := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
	for i := range 60 {
		v := 100 + float64(i%5) // 100..104, repeating
		if i == 55 {
			v = 160
		}
		s := d.Update(start.Add(time.Duration(i)*time.Minute), v)
		if s.Fired {
			fmt.Printf("point %d: value %.0f, robust z %.1f, score %.2f\n", i, v, s.Stat, s.Value)
		}
	}
	// Output:
	// point 55: value 160, robust z 39.1, score 1.00
}

// Hour-over-hour growth, with a floor under tiny bases.
func ExampleVelocity() {
	d := anomaly.NewVelocity(anomaly.VelocityConfig{MinBase: 20})
	start := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
	var s anomaly.Score
	for i := range 25 { // two hours of 5-minute counts: 10 each, then 80 each
		v := 10.0
		if i > 12 {
			v = 80
		}
		s = d.Update(start.Add(time.Duration(i)*5*time.Minute), v)
	}
	fmt.Printf("change %+.0f%%, fired %v\n", 100*s.Stat, s.Fired)
	// Output:
	// change +700%, fired true
}

// Usage at 3 a.m. in the subject's own time zone.
func ExampleOffHours() {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		fmt.Println(err)
		return
	}
	d := anomaly.NewOffHours(anomaly.OffHoursConfig{Location: paris})
	start := time.Date(2025, 1, 6, 0, 0, 0, 0, paris)
	for h := range 14 * 24 { // two weeks, busy 9:00–17:00 Paris time only
		at := start.Add(time.Duration(h) * time.Hour)
		v := 0.0
		if at.Hour() >= 9 && at.Hour() < 17 {
			v = 50
		}
		d.Update(at, v)
	}
	s := d.Update(time.Date(2025, 1, 20, 3, 0, 0, 0, paris), 50)
	fmt.Printf("fired %v, usual share of the hour %.2f\n", s.Fired, s.Stat)
	// Output:
	// fired true, usual share of the hour 0.00
}

// The ensemble on a daily cycle with an incident: one alarm, with its reasons.
func ExampleEnsemble() {
	e := anomaly.NewEnsemble(anomaly.EnsembleConfig{})
	start := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
	for i := range 288 * 7 { // a week of 5-minute points
		v := 100 + 40*math.Sin(2*math.Pi*float64(i)/288) + float64(i*7919%11)
		if i >= 288*6 && i < 288*6+6 {
			v = 400 // thirty minutes of four times the usual traffic
		}
		a := e.Update(start.Add(time.Duration(i)*5*time.Minute), v)
		if a.Alarm {
			fmt.Printf("%s alarm: score %.2f, risk %d, fraud suspect %v\n",
				start.Add(time.Duration(i)*5*time.Minute).Format("Mon 15:04"), a.Score, a.Risk, a.FraudSuspect)
			for _, r := range a.Reasons {
				fmt.Printf("  %s\n", r.Detector)
			}
		}
	}
	// Output:
	// Sun 00:05 alarm: score 0.83, risk 85, fraud suspect false
	//   knn
	//   seasonal
	//   zscore
}

// The configuration for hourly usage on a month of hourly totals with weekends:
// a single hour at five times the usual alarms by itself.
func ExampleUsageEnsembleConfig() {
	e := anomaly.NewEnsemble(anomaly.UsageEnsembleConfig())
	start := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC) // a Monday
	for i := range 24 * 28 {
		at := start.Add(time.Duration(i) * time.Hour)
		v := 100 + 60*math.Sin(2*math.Pi*float64(i%24-6)/24) + float64(i*7919%11)
		if wd := at.Weekday(); wd == time.Saturday || wd == time.Sunday {
			v /= 4
		}
		if i == 24*23+14 {
			v *= 5 // an hour of five times the usual traffic
		}
		a := e.Update(at, v)
		if a.Alarm {
			fmt.Printf("%s alarm: fraud suspect %v, first reason %s\n", at.Format("Mon Jan 2 15:04"),
				a.FraudSuspect, a.Reasons[0].Detector)
		}
	}
	// Output:
	// Wed Jan 29 14:00 alarm: fraud suspect true, first reason spike
}

// Bot-like regular arrivals and a burst among raw events.
func ExampleCheckEvents() {
	start := time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
	var events []anomaly.Event
	for i := range 120 { // a script calling every 30 s
		events = append(events, anomaly.Event{Subject: "key-1", Time: start.Add(time.Duration(i) * 30 * time.Second)})
	}
	for i := range 90 { // 90 calls in under 10 seconds, irregularly
		jitter := time.Duration(i*7919%101) * time.Millisecond
		events = append(events, anomaly.Event{Subject: "key-2", Time: start.Add(time.Duration(i)*100*time.Millisecond + jitter)})
	}
	for _, f := range anomaly.CheckEvents(events, anomaly.EventConfig{MaxCV: 0.05}) {
		fmt.Printf("%s %s: %d events from %s, stat %.2f\n", f.Subject, f.Kind, f.Events, f.Start.Format("15:04:05"), f.Stat)
	}
	// Output:
	// key-1 regular: 120 events from 09:00:00, stat 0.00
	// key-2 burst: 90 events from 09:00:00, stat 90.00
}
