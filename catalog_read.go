package usage

import (
	"context"
	"maps"
	"slices"
	"strings"
)

// Plans returns the plans of the Meter's Config, ordered by key: what a catalog
// page or an API lists. They are copies; changing them changes nothing in the
// Meter.
func (m *Meter) Plans() []Plan {
	out := make([]Plan, 0, len(m.cfg.plans))
	for _, p := range m.cfg.plans {
		limits := make(map[string]Limit, len(p.Limits))
		for k, l := range p.Limits {
			l.Thresholds = slices.Clone(l.Thresholds)
			l.Price.Tiers = slices.Clone(l.Price.Tiers)
			limits[k] = l
		}
		p.Limits = limits
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Plan) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// Metrics returns the metrics of the Meter's Config, ordered by key, with their
// defaults filled in (Aggregation, MaxDimensionValues). They are copies.
func (m *Meter) Metrics() []Metric {
	out := make([]Metric, 0, len(m.cfg.metrics))
	for _, k := range slices.Sorted(maps.Keys(m.cfg.metrics)) {
		met := m.cfg.metrics[k]
		met.Dimensions = slices.Clone(met.Dimensions)
		out = append(out, met)
	}
	return out
}

// AssignmentOf returns the plan assignment in force for subject, as Track and
// Quotas resolve it: its own (Assign, or the PlanResolver's), or the DefaultPlan's
// with the calendar cycle, from the cache while it is fresh (Config.AssignmentTTL).
// Cycle and TimeZone have their defaults filled in. A subject without a plan
// returns an error matching ErrNoPlan.
func (m *Meter) AssignmentOf(ctx context.Context, subject string) (Assignment, error) {
	if err := checkName("subject", subject, true); err != nil {
		return Assignment{}, err
	}
	r, err := m.resolve(ctx, "assignment", subject, m.now())
	if err != nil {
		return Assignment{}, err
	}
	return r.assignment(), nil
}
