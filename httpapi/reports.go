package httpapi

import (
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/report"
)

// reportJSON is a stored report's record.
type reportJSON struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	Format    string `json:"format"`
	Subject   string `json:"subject"`
	From      string `json:"from"`
	To        string `json:"to"`
	Size      int64  `json:"size"`
	Statement bool   `json:"statement"`
	CreatedAt string `json:"created_at"`
	ExpiresAt string `json:"expires_at"`
	RemovedAt string `json:"removed_at,omitempty"`
}

func reportOut(rec usage.ReportRecord) reportJSON {
	return reportJSON{ID: rec.ID, Type: string(rec.Type), Format: string(rec.Format), Subject: rec.Subject,
		From: rfc3339(rec.From), To: rfc3339(rec.To), Size: rec.Size, Statement: rec.Statement,
		CreatedAt: rfc3339(rec.CreatedAt), ExpiresAt: rfc3339(rec.ExpiresAt), RemovedAt: rfc3339(rec.RemovedAt)}
}

// reports returns the report store, or the 404 of an API without Options.Reports.
func (a *api) reports() (*usage.Reports, error) {
	if a.opts.Reports == nil {
		return nil, notFound("reports are not enabled on this server")
	}
	return a.opts.Reports, nil
}

// listReports lists the subject's reports, oldest first.
func (a *api) listReports(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r)
	offset, limit := q.intCursor(), q.limit(usage.DefaultPageSize, usage.MaxPageSize)
	if q.err != nil {
		return q.err
	}
	reps, err := a.reports()
	if err != nil {
		return err
	}
	recs, err := reps.List(r.Context())
	if err != nil {
		return err
	}
	items := []reportJSON{}
	for _, rec := range recs {
		if rec.Subject == c.subject {
			items = append(items, reportOut(rec))
		}
	}
	return writeJSON(w, r, http.StatusOK, page(items, offset, limit))
}

// reportInput is the body of POST /v1/reports: a billing period (the one that
// holds at, or now) or a range [from, to).
type reportInput struct {
	Type   string `json:"type"`
	Format string `json:"format"`
	At     string `json:"at"`
	From   string `json:"from"`
	To     string `json:"to"`
}

func (a *api) saveReport(w http.ResponseWriter, r *http.Request, c *call) error {
	var in reportInput
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	req := usage.ReportRequest{Type: report.Type(in.Type), Format: report.Format(in.Format), Subject: c.subject}
	if !req.Type.Valid() {
		return badRequest("type", "want summary, detailed, forecast or anomaly")
	}
	if !req.Format.Valid() {
		return badRequest("format", "want csv, json, xlsx or pdf")
	}
	for _, f := range []struct {
		name, value string
		to          *time.Time
	}{{"at", in.At, &req.At}, {"from", in.From, &req.From}, {"to", in.To, &req.To}} {
		if f.value == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, f.value)
		if err != nil {
			return badRequest(f.name, "want an RFC 3339 time, such as 2026-03-01T00:00:00Z")
		}
		*f.to = t
	}
	reps, err := a.reports()
	if err != nil {
		return err
	}
	rec, err := reps.Save(r.Context(), req)
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusCreated, reportOut(rec))
}

// downloadReport streams one of the subject's reports as an attachment; another
// subject's answers 404, as an unknown one does.
func (a *api) downloadReport(w http.ResponseWriter, r *http.Request, c *call) error {
	reps, err := a.reports()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	content, rec, err := reps.Open(r.Context(), id)
	if err != nil {
		if errors.Is(err, usage.ErrReportExpired) {
			// Only the owner learns that it existed.
			if own, rerr := a.ownReport(r, reps, id, c); rerr != nil || !own {
				return notFound("no report " + truncate(id))
			}
		}
		return err
	}
	defer content.Close()
	if rec.Subject != c.subject {
		return notFound("no report " + truncate(id))
	}
	h := w.Header()
	h.Set("Content-Type", rec.Format.ContentType())
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": rec.FileName()}))
	if rec.Size > 0 {
		h.Set("Content-Length", itoa(rec.Size))
	}
	h.Set("Cache-Control", "private, no-store")
	if _, err := io.Copy(w, content); err != nil {
		// The status is sent: a failure now can only cut the download short.
		a.opts.Logger.LogAttrs(r.Context(), slog.LevelWarn, "httpapi: report download cut short",
			slog.String("id", rec.ID), slog.Any("error", err))
	}
	return nil
}

// ownReport reports whether the report id is the subject's.
func (a *api) ownReport(r *http.Request, reps *usage.Reports, id string, c *call) (bool, error) {
	recs, err := reps.List(r.Context())
	if err != nil {
		return false, err
	}
	for _, rec := range recs {
		if rec.ID == id {
			return rec.Subject == c.subject, nil
		}
	}
	return false, nil
}
