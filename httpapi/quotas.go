package httpapi

import (
	"net/http"

	"github.com/usagekit/usage"
)

// whoamiJSON is the caller as the API sees it.
type whoamiJSON struct {
	Subject  string `json:"subject"`
	Operator bool   `json:"operator"`
	Name     string `json:"name"`
}

func (a *api) whoami(w http.ResponseWriter, r *http.Request, c *call) error {
	return writeJSON(w, r, http.StatusOK, whoamiJSON{Subject: c.subject, Operator: c.principal.Operator, Name: c.principal.Name})
}

// quotaJSON is one quota's state.
type quotaJSON struct {
	Metric       string     `json:"metric"`
	Unit         string     `json:"unit"`
	Aggregation  string     `json:"aggregation"`
	Period       periodJSON `json:"period"`
	Used         string     `json:"used"`
	Limit        string     `json:"limit"`
	Remaining    string     `json:"remaining"`
	Percent      float64    `json:"percent"`
	Unlimited    bool       `json:"unlimited"`
	AllowOverage bool       `json:"allow_overage"`
	Overage      string     `json:"overage"`
	Stale        bool       `json:"stale,omitempty"`
}

func quota(q usage.QuotaStatus) quotaJSON {
	return quotaJSON{Metric: q.Metric, Unit: q.Unit, Aggregation: string(q.Aggregation), Period: period(q.Period),
		Used: q.Used.String(), Limit: q.Limit.String(), Remaining: q.Remaining.String(), Percent: q.Percent,
		Unlimited: q.Unlimited, AllowOverage: q.AllowOverage, Overage: q.Overage.String(), Stale: q.Stale}
}

// quotaSummaryJSON is a quota with what its overage costs so far.
type quotaSummaryJSON struct {
	quotaJSON
	OverageCost moneyJSON `json:"overage_cost"`
}

// summaryJSON is a subject's current period at a glance.
type summaryJSON struct {
	Subject              string             `json:"subject"`
	Plan                 string             `json:"plan"`
	Period               periodJSON         `json:"period"`
	Quotas               []quotaSummaryJSON `json:"quotas"`
	OverageCost          moneyJSON          `json:"overage_cost"`
	UnacknowledgedAlerts int64              `json:"unacknowledged_alerts"`
}

func (a *api) summary(w http.ResponseWriter, r *http.Request, c *call) error {
	s, err := a.m.Summary(r.Context(), c.subject)
	if err != nil {
		return err
	}
	out := summaryJSON{Subject: s.Subject, Plan: s.Plan, Period: period(s.Period), Quotas: []quotaSummaryJSON{},
		OverageCost: money(s.OverageCost), UnacknowledgedAlerts: s.UnacknowledgedAlerts}
	for _, q := range s.Quotas {
		out.Quotas = append(out.Quotas, quotaSummaryJSON{quotaJSON: quota(q.QuotaStatus), OverageCost: money(q.OverageCost)})
	}
	return writeJSON(w, r, http.StatusOK, out)
}

func (a *api) quotas(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r)
	offset, limit := q.intCursor(), q.limit(usage.DefaultPageSize, usage.MaxPageSize)
	if q.err != nil {
		return q.err
	}
	qs, err := a.m.Quotas(r.Context(), c.subject)
	if err != nil {
		return err
	}
	items := make([]quotaJSON, len(qs))
	for i, s := range qs {
		items[i] = quota(s)
	}
	return writeJSON(w, r, http.StatusOK, page(items, offset, limit))
}

// checkJSON is CheckQuota's answer: whether amount more would be admitted now.
type checkJSON struct {
	quotaJSON
	Requested string `json:"requested"`
	Allowed   bool   `json:"allowed"`
}

func (a *api) checkQuota(w http.ResponseWriter, r *http.Request, c *call) error {
	met, err := a.metric(r, "metric")
	if err != nil {
		return err
	}
	n := 1.0
	if s := r.URL.Query().Get("amount"); s != "" {
		if n, err = parseQuantity("amount", s); err != nil {
			return err
		}
	}
	s, err := a.m.CheckQuota(r.Context(), c.subject, met.Key, n)
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, checkJSON{quotaJSON: quota(s), Requested: s.Requested.String(), Allowed: s.Allowed})
}
