package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpmw"
)

// MaxBatchEvents is the most events one POST /v1/events/batch carries.
const MaxBatchEvents = 1000

// eventInput is an event as a request body gives it. The subject is the caller's.
type eventInput struct {
	// ID is the idempotency key; the Idempotency-Key header gives it when empty.
	ID     string `json:"id"`
	Metric string `json:"metric"`
	// Value is a decimal string; absent means "1".
	Value      *string           `json:"value"`
	User       string            `json:"user"`
	Time       string            `json:"time"`
	Properties map[string]string `json:"properties"`
}

// event converts the input for subject; field prefixes the names in errors.
func (in eventInput) event(subject, field string) (usage.Event, error) {
	ev := usage.Event{ID: in.ID, Subject: subject, Metric: in.Metric, User: in.User, Properties: in.Properties, Value: 1}
	if in.Value != nil {
		v, err := parseQuantity(field+"value", *in.Value)
		if err != nil {
			return ev, err
		}
		ev.Value = v
	}
	if in.Time != "" {
		t, err := time.Parse(time.RFC3339Nano, in.Time)
		if err != nil {
			return ev, badRequest(field+"time", "want an RFC 3339 time, such as 2026-03-01T12:00:00Z")
		}
		ev.Time = t
	}
	return ev, nil
}

// eventJSON is a stored event.
type eventJSON struct {
	ID         string            `json:"id"`
	Subject    string            `json:"subject"`
	User       string            `json:"user,omitempty"`
	Metric     string            `json:"metric"`
	Value      string            `json:"value"`
	Time       string            `json:"time"`
	Properties map[string]string `json:"properties,omitempty"`
}

func eventOut(ev usage.Event) eventJSON {
	return eventJSON{ID: ev.ID, Subject: ev.Subject, User: ev.User, Metric: ev.Metric,
		Value: strconv.FormatFloat(ev.Value, 'f', -1, 64), Time: rfc3339(ev.Time), Properties: ev.Properties}
}

// trackJSON is what tracking did with one event.
type trackJSON struct {
	Event     eventJSON  `json:"event"`
	Replayed  bool       `json:"replayed"`
	UsedAfter string     `json:"used_after"`
	Period    periodJSON `json:"period"`
}

func tracked(res usage.TrackResult) trackJSON {
	return trackJSON{Event: eventOut(res.Event), Replayed: res.Replayed, UsedAfter: res.UsedAfter.String(), Period: period(res.Period)}
}

func (a *api) trackEvent(w http.ResponseWriter, r *http.Request, c *call) error {
	var in eventInput
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	if in.ID == "" {
		in.ID = r.Header.Get("Idempotency-Key")
	}
	ev, err := in.event(c.subject, "")
	if err != nil {
		return err
	}
	res, err := a.m.Track(r.Context(), ev)
	if err != nil {
		return err
	}
	a.limitFields(r, w.Header(), c.subject, ev.Metric)
	status := http.StatusCreated
	if res.Replayed {
		status = http.StatusOK
	}
	return writeJSON(w, r, status, tracked(res))
}

// limitFields sets the rate-limit fields of the subject's quota of metric after a
// tracked event, from the Meter's memory; an unlimited quota has none.
func (a *api) limitFields(r *http.Request, h http.Header, subject, metric string) {
	s, err := a.m.CheckQuota(r.Context(), subject, metric, 1)
	if err != nil || s.Unlimited {
		return
	}
	httpmw.SetRateLimitFields(h, s, a.opts.Now(), false)
}

// batchInput is the body of POST /v1/events/batch.
type batchInput struct {
	Events []eventInput `json:"events"`
}

// batchItemJSON is one event's outcome in a batch: its result, or the problem
// that refused it (quota, conflict).
type batchItemJSON struct {
	*trackJSON
	Error *problem `json:"error,omitempty"`
}

func (a *api) trackBatch(w http.ResponseWriter, r *http.Request, c *call) error {
	var in batchInput
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	if len(in.Events) == 0 || len(in.Events) > MaxBatchEvents {
		return badRequest("events", fmt.Sprintf("want 1 to %d events", MaxBatchEvents))
	}
	events := make([]usage.Event, len(in.Events))
	for i, e := range in.Events {
		ev, err := e.event(c.subject, fmt.Sprintf("events[%d].", i))
		if err != nil {
			return err
		}
		events[i] = ev
	}
	results, err := a.m.TrackBatch(r.Context(), events)
	if err != nil {
		return err
	}
	out := list[batchItemJSON]{Items: make([]batchItemJSON, len(results))}
	for i, res := range results {
		if res.Err != nil {
			out.Items[i] = batchItemJSON{Error: problemFor(res.Err, a.opts.Now())}
			continue
		}
		t := tracked(res.TrackResult)
		out.Items[i] = batchItemJSON{trackJSON: &t}
	}
	return writeJSON(w, r, http.StatusOK, out)
}

func (a *api) listEvents(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r)
	eq := usage.EventQuery{Subject: c.subject, Metric: q.str("metric"), From: q.time("from"), To: q.time("to"),
		After: q.intCursor(), Limit: q.limit(usage.DefaultPageSize, usage.MaxPageSize)}
	if q.err != nil {
		return q.err
	}
	p, err := a.m.Events(r.Context(), eq)
	if err != nil {
		return err
	}
	out := list[eventJSON]{Items: make([]eventJSON, len(p.Events))}
	for i, ev := range p.Events {
		out.Items[i] = eventOut(ev)
	}
	if p.More {
		out.NextCursor = strconv.FormatInt(p.Next, 10)
	}
	return writeJSON(w, r, http.StatusOK, out)
}
