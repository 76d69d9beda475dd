package httpapi

import (
	"net/http"
	"strconv"

	"github.com/usagekit/usage"
)

// lineJSON is one line item of an invoice.
type lineJSON struct {
	Metric     string     `json:"metric"`
	Unit       string     `json:"unit"`
	Period     periodJSON `json:"period"`
	Adjustment bool       `json:"adjustment"`
	Unlimited  bool       `json:"unlimited"`
	Included   string     `json:"included"`
	Used       string     `json:"used"`
	Over       string     `json:"over"`
	Price      string     `json:"price"`
	Amount     moneyJSON  `json:"amount"`
}

// invoiceJSON is a subject's bill for one period.
type invoiceJSON struct {
	ID       string     `json:"id"`
	Subject  string     `json:"subject"`
	Plan     string     `json:"plan"`
	Period   periodJSON `json:"period"`
	Currency string     `json:"currency"`
	Lines    []lineJSON `json:"lines"`
	Total    moneyJSON  `json:"total"`
	Closed   bool       `json:"closed"`
	ClosedAt string     `json:"closed_at,omitempty"`
}

// invoice answers the invoice of the period that holds ?at=, the current one
// without it.
func (a *api) invoice(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r)
	at := q.time("at")
	if q.err != nil {
		return q.err
	}
	inv, err := a.m.Invoice(r.Context(), c.subject, at)
	if err != nil {
		return err
	}
	out := invoiceJSON{ID: inv.ID, Subject: inv.Subject, Plan: inv.Plan, Period: period(inv.Period), Currency: inv.Currency,
		Lines: []lineJSON{}, Total: money(inv.Total), Closed: inv.Closed, ClosedAt: rfc3339(inv.ClosedAt)}
	for _, l := range inv.Lines {
		out.Lines = append(out.Lines, lineJSON{Metric: l.Metric, Unit: l.Unit, Period: period(l.Period), Adjustment: l.Adjustment,
			Unlimited: l.Unlimited, Included: l.Included.String(), Used: l.Used.String(), Over: l.Over.String(),
			Price: l.Price.String(), Amount: money(l.Amount)})
	}
	return writeJSON(w, r, http.StatusOK, out)
}

// correctionInput is the body of POST /v1/corrections.
type correctionInput struct {
	// ID is the correction's idempotency key; the Idempotency-Key header gives it
	// when empty.
	ID      string `json:"id"`
	EventID string `json:"event_id"`
	Kind    string `json:"kind"`
	// Value is the event's new value, for an amend.
	Value  *string `json:"value"`
	Reason string  `json:"reason"`
}

// correctionJSON is a stored correction.
type correctionJSON struct {
	ID          string `json:"id"`
	EventID     string `json:"event_id"`
	Kind        string `json:"kind"`
	Metric      string `json:"metric"`
	Value       string `json:"value"`
	Previous    string `json:"previous"`
	Reason      string `json:"reason"`
	Actor       string `json:"actor,omitempty"`
	PeriodStart string `json:"period_start"`
	CreatedAt   string `json:"created_at,omitempty"`
}

// correctionResultJSON is what a correction did.
type correctionResultJSON struct {
	correctionJSON
	UsedAfter string `json:"used_after"`
	Replayed  bool   `json:"replayed"`
}

func (a *api) correct(w http.ResponseWriter, r *http.Request, c *call) error {
	var in correctionInput
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	corr := usage.Correction{ID: in.ID, Subject: c.subject, EventID: in.EventID, Kind: usage.CorrectionKind(in.Kind),
		Reason: in.Reason, Actor: c.principal.Name}
	if corr.ID == "" {
		corr.ID = r.Header.Get("Idempotency-Key")
	}
	if in.Value != nil {
		v, err := parseQuantity("value", *in.Value)
		if err != nil {
			return err
		}
		corr.Value = v
	}
	res, err := a.m.Correct(r.Context(), corr)
	if err != nil {
		return err
	}
	out := correctionResultJSON{correctionJSON: correctionJSON{ID: res.Correction.ID, EventID: res.Correction.EventID,
		Kind: string(res.Correction.Kind), Metric: res.Metric, Value: strconv.FormatFloat(res.Correction.Value, 'f', -1, 64),
		Previous: res.Previous.String(), Reason: res.Correction.Reason, Actor: res.Correction.Actor,
		PeriodStart: rfc3339(res.Period.Start)}, UsedAfter: res.UsedAfter.String(), Replayed: res.Replayed}
	status := http.StatusCreated
	if res.Replayed {
		status = http.StatusOK
	}
	return writeJSON(w, r, status, out)
}

func (a *api) listCorrections(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r)
	after, limit := q.intCursor(), q.limit(usage.DefaultPageSize, usage.MaxPageSize)
	if q.err != nil {
		return q.err
	}
	p, err := a.m.Corrections(r.Context(), c.subject, after, limit)
	if err != nil {
		return err
	}
	out := list[correctionJSON]{Items: make([]correctionJSON, len(p.Corrections))}
	for i, rec := range p.Corrections {
		out.Items[i] = correctionJSON{ID: rec.Correction.ID, EventID: rec.Correction.EventID, Kind: string(rec.Correction.Kind),
			Metric: rec.Metric, Value: strconv.FormatFloat(rec.Correction.Value, 'f', -1, 64), Previous: rec.Previous.String(),
			Reason: rec.Correction.Reason, Actor: rec.Correction.Actor, PeriodStart: rfc3339(rec.PeriodStart),
			CreatedAt: rfc3339(rec.CreatedAt)}
	}
	if p.More {
		out.NextCursor = strconv.FormatInt(p.Next, 10)
	}
	return writeJSON(w, r, http.StatusOK, out)
}
