package httpapi

import (
	"net/http"
	"strings"

	"github.com/usagekit/usage"
)

// usageValueJSON is a metric's usage in one window, of one group.
type usageValueJSON struct {
	Start  string            `json:"start"`
	End    string            `json:"end"`
	Group  map[string]string `json:"group,omitempty"`
	Value  string            `json:"value"`
	Events int64             `json:"events"`
}

// usageJSON answers a usage query.
type usageJSON struct {
	Metric      string           `json:"metric"`
	Aggregation string           `json:"aggregation"`
	Window      string           `json:"window"`
	Values      []usageValueJSON `json:"values"`
}

// usageQuery answers GET /v1/usage/{metric}?from=&to=&window=&tz=&group_by=a,b&filter=dim:value.
func (a *api) usageQuery(w http.ResponseWriter, r *http.Request, c *call) error {
	met, err := a.metric(r, "metric")
	if err != nil {
		return err
	}
	q := newQuery(r)
	uq := usage.UsageQuery{Metric: met.Key, Subject: c.subject, From: q.time("from"), To: q.time("to"),
		Window: usage.WindowSize(q.oneOf("window", "day", "hour", "day", "month")), TimeZone: q.location("tz")}
	if g := q.str("group_by"); g != "" {
		uq.GroupBy = strings.Split(g, ",")
	}
	for _, f := range r.URL.Query()["filter"] {
		dim, value, ok := strings.Cut(f, ":")
		if !ok || dim == "" || len(f) > 256 {
			q.fail("filter", "want dimension:value, such as route:/v1/search")
			break
		}
		if uq.Filters == nil {
			uq.Filters = map[string][]string{}
		}
		uq.Filters[dim] = append(uq.Filters[dim], value)
	}
	if q.err != nil {
		return q.err
	}
	if uq.From.IsZero() || uq.To.IsZero() {
		return badRequest("from", "from and to are required")
	}
	res, err := a.m.Usage(r.Context(), uq)
	if err != nil {
		return err
	}
	out := usageJSON{Metric: res.Metric, Aggregation: string(res.Aggregation), Window: string(uq.Window), Values: []usageValueJSON{}}
	for _, v := range res.Values {
		out.Values = append(out.Values, usageValueJSON{Start: rfc3339(v.From), End: rfc3339(v.To), Group: v.Group,
			Value: v.Value.String(), Events: v.Events})
	}
	return writeJSON(w, r, http.StatusOK, out)
}

// pointJSON is one step of a series.
type pointJSON struct {
	Start         string  `json:"start"`
	End           string  `json:"end"`
	Value         string  `json:"value"`
	MovingAverage float64 `json:"moving_average"`
}

// trendJSON is a metric's course over a period, against the period before.
type trendJSON struct {
	Metric        string      `json:"metric"`
	Aggregation   string      `json:"aggregation"`
	Step          string      `json:"step"`
	Period        periodJSON  `json:"period"`
	Previous      periodJSON  `json:"previous"`
	Series        []pointJSON `json:"series"`
	Total         string      `json:"total"`
	PreviousTotal string      `json:"previous_total"`
	ChangePercent float64     `json:"change_percent"`
	HasChange     bool        `json:"has_change"`
	Peak          pointJSON   `json:"peak"`
	PeakHour      int         `json:"peak_hour"`
}

func trendPoint(p usage.TrendPoint) pointJSON {
	return pointJSON{Start: rfc3339(p.From), End: rfc3339(p.To), Value: p.Value.String(), MovingAverage: p.MovingAverage}
}

func (a *api) trend(w http.ResponseWriter, r *http.Request, c *call) error {
	met, err := a.metric(r, "metric")
	if err != nil {
		return err
	}
	q := newQuery(r)
	tq := usage.TrendQuery{Subject: c.subject, Metric: met.Key, From: q.time("from"), To: q.time("to"),
		Step: usage.WindowSize(q.oneOf("step", "day", "hour", "day")), TimeZone: q.location("tz")}
	if q.err != nil {
		return q.err
	}
	t, err := a.m.Trend(r.Context(), tq)
	if err != nil {
		return err
	}
	out := trendJSON{Metric: t.Metric, Aggregation: string(t.Aggregation), Step: string(tq.Step), Period: period(t.Period),
		Previous: period(t.Previous), Series: []pointJSON{}, Total: t.Total.String(), PreviousTotal: t.PreviousTotal.String(),
		ChangePercent: t.ChangePercent, HasChange: t.HasChange, Peak: trendPoint(t.Peak), PeakHour: t.PeakHour}
	for _, p := range t.Series {
		out.Series = append(out.Series, trendPoint(p))
	}
	return writeJSON(w, r, http.StatusOK, out)
}

// forecastJSON is a forecast of a metric and what it means for the quota.
type forecastJSON struct {
	Metric      string                `json:"metric"`
	Model       string                `json:"model"`
	Step        string                `json:"step"`
	GeneratedAt string                `json:"generated_at"`
	History     int                   `json:"history"`
	Points      []usage.ForecastPoint `json:"points"`
	Quota       *quotaForecastJSON    `json:"quota,omitempty"`
}

// quotaForecastJSON is usage.QuotaForecast with quantities as strings.
type quotaForecastJSON struct {
	Period            periodJSON            `json:"period"`
	Limit             string                `json:"limit"`
	Used              string                `json:"used"`
	AllowOverage      bool                  `json:"allow_overage"`
	ExpectedUsage     float64               `json:"expected_usage"`
	ExceedProbability float64               `json:"exceed_probability"`
	ExpectedOverage   float64               `json:"expected_overage"`
	ExpectedCost      moneyJSON             `json:"expected_cost"`
	Crossings         []usage.QuotaCrossing `json:"crossings"`
}

// forecast runs Meter.Forecast with its defaults, or ?step=hour.
func (a *api) forecast(w http.ResponseWriter, r *http.Request, c *call) error {
	met, err := a.metric(r, "metric")
	if err != nil {
		return err
	}
	q := newQuery(r)
	step := usage.ForecastStep(q.oneOf("step", "day", "hour", "day"))
	if q.err != nil {
		return q.err
	}
	f, err := a.m.Forecast(r.Context(), c.subject, met.Key, usage.ForecastOptions{Step: step})
	if err != nil {
		return err
	}
	out := forecastJSON{Metric: f.Metric, Model: f.Model, Step: string(f.Step), GeneratedAt: rfc3339(f.GeneratedAt),
		History: f.History, Points: f.Points}
	if out.Points == nil {
		out.Points = []usage.ForecastPoint{}
	}
	for i := range out.Points {
		out.Points[i].Start, out.Points[i].End = out.Points[i].Start.UTC(), out.Points[i].End.UTC()
	}
	if fq := f.Quota; fq != nil {
		crossings := fq.Crossings
		if crossings == nil {
			crossings = []usage.QuotaCrossing{}
		}
		out.Quota = &quotaForecastJSON{Period: period(fq.Period), Limit: fq.Limit.String(), Used: fq.Used.String(),
			AllowOverage: fq.AllowOverage, ExpectedUsage: fq.ExpectedUsage, ExceedProbability: fq.ExceedProbability,
			ExpectedOverage: fq.ExpectedOverage, ExpectedCost: money(fq.ExpectedCost), Crossings: crossings}
	}
	return writeJSON(w, r, http.StatusOK, out)
}
