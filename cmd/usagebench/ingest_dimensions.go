package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
)

// dimensionValues is how many values each dimension of an ingest run takes.
var dimensionValues = []int{20, 5, 4, 3}

// dimensionRounds is how many times ingestDimensions runs each configuration.
const dimensionRounds = 3

// ingestDimensions runs the ingest with events that carry n properties, without
// declared dimensions and with the n declared (which also writes their hourly
// rollups and admits their values), and prints the median rates and their ratio.
func ingestDimensions(p ingestParams, mode string, n int, out io.Writer) error {
	if n > len(dimensionValues) {
		return fmt.Errorf("-dimensions %d: at most %d", n, len(dimensionValues))
	}
	if mode != "group" {
		return fmt.Errorf("-dimensions compares group commit runs: drop -mode %s", mode)
	}
	p.mode = "group"
	names := make([]string, n)
	for d := range names {
		names[d] = "d" + strconv.Itoa(d)
	}
	// Every combination of the dimensions' values, in turn.
	p.properties = []map[string]string{{}}
	for d, name := range names {
		var next []map[string]string
		for _, props := range p.properties {
			for v := range dimensionValues[d] {
				m := map[string]string{name: "v" + strconv.Itoa(v)}
				for k, x := range props {
					m[k] = x
				}
				next = append(next, m)
			}
		}
		p.properties = next
	}
	// The runs alternate, so that a machine whose load changes slows both alike;
	// the medians are compared.
	var withouts, withs []float64
	for range dimensionRounds {
		p.declared = nil
		rate, err := ingestOnce(p, out)
		if err != nil {
			return err
		}
		withouts = append(withouts, rate)
		p.declared = names
		if rate, err = ingestOnce(p, out); err != nil {
			return err
		}
		withs = append(withs, rate)
	}
	slices.Sort(withouts)
	slices.Sort(withs)
	without, with := withouts[dimensionRounds/2], withs[dimensionRounds/2]
	fmt.Fprintf(out, "with %d declared dimensions: %.0f events/s, %.1f%% of %.0f without (medians of %d runs each)\n", n, with, with/without*100, without, dimensionRounds)
	fmt.Fprintf(out, "RESULT bench=ingest store=%s mode=dimensions producers=%d batch=%d events=%d dimensions=%d without_events_per_s=%.0f with_events_per_s=%.0f with_over_without=%.3f\n",
		p.kind, p.producers, p.batch, p.events, n, without, with, with/without)
	return nil
}

// propertiesOf returns the property set of event i: the sets in turn, or none.
func propertiesOf(sets []map[string]string, i int64) map[string]string {
	if len(sets) == 0 {
		return nil
	}
	return sets[i%int64(len(sets))]
}
