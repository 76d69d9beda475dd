package httpapi

import (
	"net/http"
	"strconv"

	"github.com/usagekit/usage"
)

// alertJSON is a raised alert.
type alertJSON struct {
	ID               int64      `json:"id"`
	Kind             string     `json:"kind"`
	Severity         string     `json:"severity"`
	Metric           string     `json:"metric"`
	ThresholdPercent float64    `json:"threshold_percent"`
	Used             string     `json:"used"`
	Limit            string     `json:"limit"`
	Period           periodJSON `json:"period"`
	Message          string     `json:"message"`
	CreatedAt        string     `json:"created_at"`
	AcknowledgedAt   string     `json:"acknowledged_at,omitempty"`
	AcknowledgedBy   string     `json:"acknowledged_by,omitempty"`
}

func alertOut(al usage.Alert) alertJSON {
	return alertJSON{ID: al.ID, Kind: string(al.Kind), Severity: string(al.Severity), Metric: al.Metric,
		ThresholdPercent: al.Threshold, Used: al.Used.String(), Limit: al.Limit.String(), Period: period(al.Period),
		Message: al.Message, CreatedAt: rfc3339(al.CreatedAt), AcknowledgedAt: rfc3339(al.AcknowledgedAt),
		AcknowledgedBy: al.AcknowledgedBy}
}

// listAlerts lists the subject's alerts, newest first, filtered by ?metric=,
// ?kind=, ?severity=, ?acknowledged=, ?from= and ?to=.
func (a *api) listAlerts(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r)
	f := usage.AlertFilter{Subject: c.subject, Metric: q.str("metric"),
		Kind:         usage.AlertKind(q.oneOf("kind", "", "threshold", "refusal", "forecast", "fraud_suspect")),
		Severity:     usage.Severity(q.oneOf("severity", "", "info", "warning", "high", "critical")),
		Acknowledged: q.boolean("acknowledged"), From: q.time("from"), To: q.time("to"),
		Before: q.intCursor(), Limit: q.limit(usage.DefaultAlertPageSize, usage.MaxPageSize)}
	if q.err != nil {
		return q.err
	}
	p, err := a.m.ListAlerts(r.Context(), f)
	if err != nil {
		return err
	}
	out := list[alertJSON]{Items: make([]alertJSON, len(p.Alerts))}
	for i, al := range p.Alerts {
		out.Items[i] = alertOut(al)
	}
	if p.Next != 0 {
		out.NextCursor = strconv.FormatInt(p.Next, 10)
	}
	return writeJSON(w, r, http.StatusOK, out)
}

func (a *api) acknowledgeAlert(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	al, err := a.m.AcknowledgeAlert(r.Context(), c.subject, id, c.principal.Name)
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, alertOut(al))
}

// anomalyJSON is a stored anomaly record.
type anomalyJSON struct {
	ID           int64    `json:"id"`
	Metric       string   `json:"metric"`
	Method       string   `json:"method"`
	At           string   `json:"at"`
	Value        float64  `json:"value"`
	Expected     float64  `json:"expected"`
	Score        float64  `json:"score"`
	Risk         int      `json:"risk"`
	FraudSuspect bool     `json:"fraud_suspect"`
	Status       string   `json:"status"`
	Note         string   `json:"note,omitempty"`
	Reasons      []string `json:"reasons"`
	CreatedAt    string   `json:"created_at"`
	UpdatedAt    string   `json:"updated_at"`
}

func anomalyOut(an usage.Anomaly) anomalyJSON {
	out := anomalyJSON{ID: an.ID, Metric: an.Metric, Method: string(an.Method), At: rfc3339(an.At), Value: an.Value,
		Expected: an.Expected, Score: an.Score, Risk: an.Risk, FraudSuspect: an.FraudSuspect, Status: string(an.Status),
		Note: an.Note, Reasons: []string{}, CreatedAt: rfc3339(an.CreatedAt), UpdatedAt: rfc3339(an.UpdatedAt)}
	for _, re := range an.Reasons {
		out.Reasons = append(out.Reasons, re.Detector)
	}
	return out
}

func (a *api) listAnomalies(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r)
	f := usage.AnomalyFilter{Subject: c.subject, Metric: q.str("metric"),
		Method: usage.AnomalyMethod(q.oneOf("method", "", "ensemble", "burst", "regularity")),
		Status: usage.AnomalyStatus(q.oneOf("status", "", "open", "investigating", "confirmed", "dismissed")),
		From:   q.time("from"), To: q.time("to"), AfterID: q.intCursor(),
		Limit: q.limit(usage.DefaultAnomalyListLimit, usage.MaxAnomalyListLimit)}
	if q.err != nil {
		return q.err
	}
	ans, err := a.m.Anomalies(r.Context(), f)
	if err != nil {
		return err
	}
	out := list[anomalyJSON]{Items: make([]anomalyJSON, len(ans))}
	for i, an := range ans {
		out.Items[i] = anomalyOut(an)
	}
	if len(ans) == f.Limit {
		out.NextCursor = strconv.FormatInt(ans[len(ans)-1].ID, 10)
	}
	return writeJSON(w, r, http.StatusOK, out)
}

// detectJSON is what a detection run stored.
type detectJSON struct {
	Items []anomalyJSON `json:"items"`
}

// detectAnomalies runs detection on ?metric= (every metric without it) of the
// subject with the defaults, and returns the new records.
func (a *api) detectAnomalies(w http.ResponseWriter, r *http.Request, c *call) error {
	var metrics []string
	if key := r.URL.Query().Get("metric"); key != "" {
		met, err := a.metric(r, "metric")
		if err != nil {
			return err
		}
		metrics = []string{met.Key}
	} else {
		for _, met := range a.m.Metrics() {
			metrics = append(metrics, met.Key)
		}
	}
	out := detectJSON{Items: []anomalyJSON{}}
	for _, key := range metrics {
		found, err := a.m.DetectAnomalies(r.Context(), c.subject, key, usage.DetectOptions{})
		if err != nil {
			return err
		}
		for _, an := range found {
			out.Items = append(out.Items, anomalyOut(an))
		}
	}
	return writeJSON(w, r, http.StatusOK, out)
}

// anomalyStatusInput is the body of POST /v1/anomalies/{id}/status.
type anomalyStatusInput struct {
	Status string `json:"status"`
	Note   string `json:"note"`
}

// setAnomalyStatus changes the review status of one of the subject's anomalies;
// another subject's answers 404, as an unknown one does.
func (a *api) setAnomalyStatus(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in anomalyStatusInput
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	own, err := a.m.Anomalies(r.Context(), usage.AnomalyFilter{Subject: c.subject, AfterID: id - 1, Limit: 1})
	if err != nil {
		return err
	}
	if len(own) == 0 || own[0].ID != id {
		return notFound("no anomaly " + strconv.FormatInt(id, 10))
	}
	an, err := a.m.SetAnomalyStatus(r.Context(), id, usage.AnomalyStatus(in.Status), in.Note)
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, anomalyOut(an))
}
