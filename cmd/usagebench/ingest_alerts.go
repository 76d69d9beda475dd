package main

import (
	"fmt"
	"io"
	"slices"
)

// compareAlerts measures what alert thresholds cost ingestion: rounds runs
// without them and rounds with them, in back-to-back pairs so that both see the
// same machine (other load, a warming disk), and the median ratio of the pairs.
func compareAlerts(p ingestParams, rounds int, out io.Writer) error {
	if rounds < 1 {
		return fmt.Errorf("-alert-rounds must be positive")
	}
	var off, on []float64
	for round := range rounds {
		// Which runs first alternates too, so that a load that grows or fades
		// over the comparison does not favour one side.
		order := []bool{true, false}
		if round%2 == 1 {
			order = []bool{false, true}
		}
		for _, disabled := range order {
			p.alertsOff = disabled
			fmt.Fprintf(out, "alerts %s: ", map[bool]string{true: "off", false: "on"}[disabled])
			rate, err := ingestOnce(p, out)
			if err != nil {
				return err
			}
			if disabled {
				off = append(off, rate)
			} else {
				on = append(on, rate)
			}
		}
	}
	// Each pair ran back to back, so its ratio is the least disturbed by a machine
	// whose load changes over the minutes of the comparison.
	ratios := make([]float64, rounds)
	for i := range ratios {
		ratios[i] = on[i] / off[i]
	}
	ratio := median(ratios)
	fmt.Fprintf(out, "with alert thresholds on every metric, ingestion runs at %.3f× the rate without (median of %d back-to-back pairs)\n",
		ratio, rounds)
	fmt.Fprintf(out, "RESULT bench=ingest_alerts store=%s mode=%s producers=%d batch=%d events=%d rounds=%d off_events_per_s=%.0f on_events_per_s=%.0f on_over_off=%.3f\n",
		p.kind, p.mode, p.producers, p.batch, p.events, rounds, median(off), median(on), ratio)
	return nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
