package forecast_test

import (
	"fmt"
	"time"

	"github.com/usagekit/usage/forecast"
)

// Daily API calls with a weekly rhythm (busy weekdays, quiet weekends), slow
// growth and some day-to-day wobble.
func dailyCalls(weeks int) []float64 {
	week := []float64{120, 130, 125, 135, 128, 40, 35}
	wobble := []float64{3, -2, 0, 4, -5, 1, -1, 2}
	var y []float64
	for w := range weeks {
		for d, v := range week {
			y = append(y, v+float64(w)+wobble[(w*7+d)%len(wobble)])
		}
	}
	return y
}

func ExampleSeasonalNaive() {
	f, err := forecast.SeasonalNaive{Season: 7}.Forecast(dailyCalls(4), 7)
	if err != nil {
		panic(err)
	}
	fmt.Println(f.Point)
	// Output: [124 132 130 141 129 43 42]
}

func ExampleLinear() {
	f, err := forecast.Linear{}.Forecast([]float64{10, 12, 14, 16, 18}, 3)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.1f, 95%% interval width %.1f\n", f.Point, f.Upper95[0]-f.Lower95[0])
	// Output: [20.0 22.0 24.0], 95% interval width 0.0
}

func ExampleAuto() {
	y := dailyCalls(8)
	f, err := forecast.Auto{Seasons: []int{7}}.Forecast(y, 7)
	if err != nil {
		panic(err)
	}
	fmt.Println(f.Model)
	for j, p := range f.Point {
		fmt.Printf("day %d: %.0f (95%%: %.0f–%.0f)\n", j+1, p, f.Lower95[j], f.Upper95[j])
	}
	// Output:
	// auto(hw_add_damped)
	// day 1: 128 (95%: 122–134)
	// day 2: 138 (95%: 132–145)
	// day 3: 133 (95%: 127–139)
	// day 4: 143 (95%: 137–149)
	// day 5: 136 (95%: 130–142)
	// day 6: 48 (95%: 42–54)
	// day 7: 43 (95%: 36–49)
}

func ExampleProject() {
	// 20 days into a 30-day month, 8,950 of a 10,000-call quota used.
	now := time.Date(2025, 6, 21, 0, 0, 0, 0, time.UTC)
	history := dailyCalls(3)[:20]
	f, err := forecast.Auto{Seasons: []int{7}}.Forecast(history, 10)
	if err != nil {
		panic(err)
	}
	var ends []time.Time
	for d := 1; d <= 10; d++ {
		ends = append(ends, now.AddDate(0, 0, d))
	}
	p, err := forecast.Project(forecast.QuotaInput{
		Forecast: f,
		StepEnds: ends,
		Used:     8950,
		Limit:    10000,
	})
	if err != nil {
		panic(err)
	}
	for _, c := range p.Crossings {
		switch {
		case c.Already:
			fmt.Printf("%.0f%%: already\n", 100*c.Fraction)
		case c.Reached:
			fmt.Printf("%.0f%%: %s\n", 100*c.Fraction, c.At.Format("Jan 2"))
		default:
			fmt.Printf("%.0f%%: not this month\n", 100*c.Fraction)
		}
	}
	fmt.Printf("expected total %.0f, P(over) %.2f, expected overage %.0f\n",
		p.ExpectedTotal, p.ExceedProbability, p.ExpectedOverage)
	// Output:
	// 80%: already
	// 90%: Jun 23
	// 100%: not this month
	// expected total 9975, P(over) 0.33, expected overage 12
}
