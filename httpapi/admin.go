package httpapi

import (
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/usagekit/usage"
)

// limitJSON is a plan's quota of one metric.
type limitJSON struct {
	Metric     string          `json:"metric"`
	Included   string          `json:"included"`
	Unlimited  bool            `json:"unlimited"`
	Overage    bool            `json:"allow_overage"`
	Price      string          `json:"price"`
	Thresholds []thresholdJSON `json:"thresholds"`
}

// planJSON is a plan of the catalog.
type planJSON struct {
	Key    string      `json:"key"`
	Name   string      `json:"name"`
	Limits []limitJSON `json:"limits"`
}

// thresholdJSON is a share of a limit at which an alert is raised.
type thresholdJSON struct {
	Percent  float64 `json:"percent"`
	Severity string  `json:"severity"`
}

func thresholdsOut(ts []usage.Threshold) []thresholdJSON {
	out := make([]thresholdJSON, len(ts))
	for i, t := range ts {
		out[i] = thresholdJSON{Percent: t.Percent, Severity: string(t.Severity)}
	}
	return out
}

func (a *api) listPlans(w http.ResponseWriter, r *http.Request, _ *call) error {
	q := newQuery(r)
	offset, limit := q.intCursor(), q.limit(usage.DefaultPageSize, usage.MaxPageSize)
	if q.err != nil {
		return q.err
	}
	var items []planJSON
	for _, p := range a.m.Plans() {
		pj := planJSON{Key: p.Key, Name: p.Name, Limits: []limitJSON{}}
		for _, key := range slices.Sorted(maps.Keys(p.Limits)) {
			l := p.Limits[key]
			pj.Limits = append(pj.Limits, limitJSON{Metric: key, Included: formatFloat(l.Included), Unlimited: l.Unlimited,
				Overage: l.Overage, Price: l.Price.String(), Thresholds: thresholdsOut(l.Thresholds)})
		}
		items = append(items, pj)
	}
	return writeJSON(w, r, http.StatusOK, page(items, offset, limit))
}

// metricThresholdsJSON are the thresholds in force for one metric.
type metricThresholdsJSON struct {
	Metric     string          `json:"metric"`
	Thresholds []thresholdJSON `json:"thresholds"`
}

func (a *api) listThresholds(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r)
	offset, limit := q.intCursor(), q.limit(usage.DefaultPageSize, usage.MaxPageSize)
	if q.err != nil {
		return q.err
	}
	byMetric, err := a.m.Thresholds(r.Context(), c.subject)
	if err != nil {
		return err
	}
	var items []metricThresholdsJSON
	for _, key := range slices.Sorted(maps.Keys(byMetric)) {
		items = append(items, metricThresholdsJSON{Metric: key, Thresholds: thresholdsOut(byMetric[key])})
	}
	return writeJSON(w, r, http.StatusOK, page(items, offset, limit))
}

// thresholdsInput is the body of PUT /v1/thresholds/{metric}: the subject's own
// thresholds; an empty list turns the metric's threshold alerts off, null gives
// the plan's back.
type thresholdsInput struct {
	Thresholds *[]thresholdJSON `json:"thresholds"`
}

func (a *api) setThresholds(w http.ResponseWriter, r *http.Request, c *call) error {
	met, err := a.metric(r, "metric")
	if err != nil {
		return err
	}
	var in thresholdsInput
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	var ts []usage.Threshold
	if in.Thresholds != nil {
		ts = make([]usage.Threshold, len(*in.Thresholds))
		for i, t := range *in.Thresholds {
			ts[i] = usage.Threshold{Percent: t.Percent, Severity: usage.Severity(t.Severity)}
		}
	}
	if err := a.m.SetThresholds(r.Context(), c.subject, met.Key, ts); err != nil {
		return err
	}
	byMetric, err := a.m.Thresholds(r.Context(), c.subject)
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, metricThresholdsJSON{Metric: met.Key, Thresholds: thresholdsOut(byMetric[met.Key])})
}

// assignmentInput is the body of PUT /v1/admin/assignments/{subject}.
type assignmentInput struct {
	Plan     string `json:"plan"`
	Anchor   string `json:"anchor"`
	Cycle    string `json:"cycle"`
	TimeZone string `json:"time_zone"`
}

// assignmentJSON is a subject's plan assignment.
type assignmentJSON struct {
	Subject  string `json:"subject"`
	Plan     string `json:"plan"`
	Anchor   string `json:"anchor,omitempty"`
	Cycle    string `json:"cycle"`
	TimeZone string `json:"time_zone"`
}

func (a *api) assign(w http.ResponseWriter, r *http.Request, _ *call) error {
	var in assignmentInput
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	as := usage.Assignment{Subject: r.PathValue("subject"), Plan: in.Plan, Cycle: usage.Cycle(in.Cycle), TimeZone: in.TimeZone}
	if in.Anchor != "" {
		t, err := time.Parse(time.RFC3339Nano, in.Anchor)
		if err != nil {
			return badRequest("anchor", "want an RFC 3339 time, such as 2026-03-01T00:00:00Z")
		}
		as.Anchor = t
	}
	if err := a.m.Assign(r.Context(), as); err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, assignmentJSON{Subject: as.Subject, Plan: as.Plan, Anchor: rfc3339(as.Anchor),
		Cycle: string(cmpOrCycle(as.Cycle)), TimeZone: cmpOr(as.TimeZone, "UTC")})
}

func cmpOrCycle(c usage.Cycle) usage.Cycle {
	if c == "" {
		return usage.CycleCalendar
	}
	return c
}

// subjectUsageJSON is one subject's quota in an admin view.
type subjectUsageJSON struct {
	Subject string `json:"subject"`
	Plan    string `json:"plan"`
	quotaJSON
	OverageCost moneyJSON `json:"overage_cost"`
}

// adminView answers MetricQuotas and TopSubjects: ?metric= (required), ?at=,
// ?cursor=, ?limit=.
func (a *api) adminView(w http.ResponseWriter, r *http.Request, view func(usage.SubjectsQuery) (*usage.SubjectPage, error)) error {
	met, err := a.metric(r, "metric")
	if err != nil {
		return err
	}
	q := newQuery(r)
	sq := usage.SubjectsQuery{Metric: met.Key, At: q.time("at"), Cursor: q.str("cursor"),
		Limit: q.limit(usage.DefaultPageSize, usage.MaxPageSize)}
	if q.err != nil {
		return q.err
	}
	p, err := view(sq)
	if err != nil {
		return err
	}
	out := list[subjectUsageJSON]{Items: make([]subjectUsageJSON, len(p.Subjects)), NextCursor: p.NextCursor}
	for i, s := range p.Subjects {
		as, err := a.m.AssignmentOf(r.Context(), s.Subject)
		if err != nil {
			return err
		}
		out.Items[i] = subjectUsageJSON{Subject: s.Subject, Plan: as.Plan, quotaJSON: quota(s.QuotaStatus), OverageCost: money(s.OverageCost)}
	}
	return writeJSON(w, r, http.StatusOK, out)
}

func (a *api) metricQuotas(w http.ResponseWriter, r *http.Request, _ *call) error {
	return a.adminView(w, r, func(q usage.SubjectsQuery) (*usage.SubjectPage, error) { return a.m.MetricQuotas(r.Context(), q) })
}

func (a *api) topSubjects(w http.ResponseWriter, r *http.Request, _ *call) error {
	q := newQuery(r)
	by := usage.RankBy(q.oneOf("by", "usage", "usage", "overage_cost"))
	if q.err != nil {
		return q.err
	}
	return a.adminView(w, r, func(q usage.SubjectsQuery) (*usage.SubjectPage, error) {
		return a.m.TopSubjects(r.Context(), q, by)
	})
}

// quotaChangeInput is the body of a reset or a grant.
type quotaChangeInput struct {
	// Units is the amount to grant; a reset takes none.
	Units  *string `json:"units,omitempty"`
	Reason string  `json:"reason"`
}

// quotaChange reads the metric and the body of a reset or a grant.
func (a *api) quotaChange(r *http.Request) (usage.Metric, quotaChangeInput, error) {
	var in quotaChangeInput
	met, err := a.metric(r, "metric")
	if err == nil {
		err = decodeBody(r, &in)
	}
	return met, in, err
}

func (a *api) resetQuota(w http.ResponseWriter, r *http.Request, c *call) error {
	met, in, err := a.quotaChange(r)
	if err != nil {
		return err
	}
	if in.Units != nil {
		return badRequest("units", "a reset takes no units: grant them instead")
	}
	s, err := a.m.ResetQuota(r.Context(), usage.QuotaReset{Subject: r.PathValue("subject"), Metric: met.Key,
		Reason: in.Reason, Actor: c.principal.Name})
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, quota(s))
}

func (a *api) grant(w http.ResponseWriter, r *http.Request, c *call) error {
	met, in, err := a.quotaChange(r)
	if err != nil {
		return err
	}
	if in.Units == nil {
		return badRequest("units", "give the units to grant, such as \"100\"")
	}
	units, err := parseQuantity("units", *in.Units)
	if err != nil {
		return err
	}
	s, err := a.m.Grant(r.Context(), usage.QuotaGrant{Subject: r.PathValue("subject"), Metric: met.Key, Units: units,
		Reason: in.Reason, Actor: c.principal.Name})
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusCreated, quota(s))
}
