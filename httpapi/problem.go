package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/httpmw"
)

// The problem types of the API's error responses (RFC 9457). They are stable: a
// client may switch on them.
const (
	ProblemBadRequest          = "https://usagekit.dev/problems/bad-request"
	ProblemValidation          = "https://usagekit.dev/problems/validation"
	ProblemUnauthenticated     = "https://usagekit.dev/problems/unauthenticated"
	ProblemForbidden           = "https://usagekit.dev/problems/forbidden"
	ProblemNotFound            = "https://usagekit.dev/problems/not-found"
	ProblemConflict            = "https://usagekit.dev/problems/conflict"
	ProblemNoPlan              = "https://usagekit.dev/problems/no-plan"
	ProblemGone                = "https://usagekit.dev/problems/gone"
	ProblemBodyTooLarge        = "https://usagekit.dev/problems/body-too-large"
	ProblemInsufficientHistory = "https://usagekit.dev/problems/insufficient-history"
	ProblemUnavailable         = "https://usagekit.dev/problems/unavailable"
	ProblemInternal            = "https://usagekit.dev/problems/internal"
	// ProblemQuotaExceeded is the IANA registered type the middleware answers with
	// too (httpmw.ProblemTypeQuotaExceeded).
	ProblemQuotaExceeded = httpmw.ProblemTypeQuotaExceeded
)

// retryUnavailable is the Retry-After, in seconds, of a 503: the Meter retries the
// database itself while the request lasts, so a client waits a little.
const retryUnavailable = 5

// problem is an RFC 9457 problem details body.
type problem struct {
	Type   string            `json:"type"`
	Title  string            `json:"title"`
	Status int               `json:"status"`
	Detail string            `json:"detail,omitempty"`
	Errors map[string]string `json:"errors,omitempty"`

	// header holds fields the response carries besides the body.
	header http.Header
}

func (p *problem) Error() string { return p.Detail }

// writeProblem answers p.
func writeProblem(w http.ResponseWriter, _ *http.Request, p *problem) {
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	h := w.Header()
	for k, v := range p.header {
		h[k] = v
	}
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// badRequest is a 400 about one field of the request's query, path or body form.
func badRequest(field, reason string) *problem {
	return &problem{Type: ProblemBadRequest, Status: http.StatusBadRequest,
		Detail: field + ": " + reason, Errors: map[string]string{field: reason}}
}

func notFound(detail string) *problem {
	return &problem{Type: ProblemNotFound, Status: http.StatusNotFound, Detail: detail}
}

func problemUnauthenticated(err error) *problem {
	return &problem{Type: ProblemUnauthenticated, Status: http.StatusUnauthorized,
		Detail: "authentication failed: " + err.Error()}
}

// problemFor maps an error of a route to its problem.
func problemFor(err error, now time.Time) *problem {
	var (
		p     *problem
		ve    *usage.ValidationError
		qe    *usage.QuotaExceededError
		ce    *usage.ConflictError
		ih    *usage.InsufficientHistoryError
		maxBE *http.MaxBytesError
	)
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &maxBE):
		return &problem{Type: ProblemBodyTooLarge, Status: http.StatusRequestEntityTooLarge,
			Detail: fmt.Sprintf("the request body is over %d bytes", maxBE.Limit)}
	case errors.As(err, &ve):
		return &problem{Type: ProblemValidation, Status: http.StatusUnprocessableEntity,
			Detail: ve.Error(), Errors: map[string]string{ve.Field: ve.Reason}}
	case errors.As(err, &qe):
		return quotaProblem(qe, now)
	case errors.As(err, &ce):
		return &problem{Type: ProblemConflict, Status: http.StatusConflict, Detail: ce.Error()}
	case errors.As(err, &ih):
		return &problem{Type: ProblemInsufficientHistory, Status: http.StatusUnprocessableEntity, Detail: ih.Error()}
	case errors.Is(err, usage.ErrOverflow):
		return &problem{Type: ProblemValidation, Status: http.StatusUnprocessableEntity, Detail: err.Error()}
	case errors.Is(err, usage.ErrAlertNotFound), errors.Is(err, usage.ErrAnomalyNotFound),
		errors.Is(err, usage.ErrEventNotFound), errors.Is(err, usage.ErrReportNotFound):
		return notFound(err.Error())
	case errors.Is(err, usage.ErrEventVoided):
		return &problem{Type: ProblemConflict, Status: http.StatusConflict, Detail: err.Error()}
	case errors.Is(err, usage.ErrReportExpired):
		return &problem{Type: ProblemGone, Status: http.StatusGone, Detail: err.Error()}
	case errors.Is(err, usage.ErrNoPlan), errors.Is(err, usage.ErrUnknownPlan):
		return &problem{Type: ProblemNoPlan, Status: http.StatusConflict, Detail: err.Error()}
	case errors.Is(err, usage.ErrUnavailable), errors.Is(err, usage.ErrOverloaded),
		errors.Is(err, usage.ErrClosed), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, context.Canceled):
		return &problem{Type: ProblemUnavailable, Status: http.StatusServiceUnavailable,
			Detail: "the usage store is unavailable: try again shortly",
			header: http.Header{"Retry-After": {strconv.Itoa(retryUnavailable)}}}
	}
	return &problem{Type: ProblemInternal, Status: http.StatusInternalServerError, Detail: "internal error"}
}

// quotaProblem is the 429 of a refused event, with the rate-limit fields of package
// httpmw: RateLimit-Policy and RateLimit, X-RateLimit-*, and Retry-After until the
// period ends.
func quotaProblem(qe *usage.QuotaExceededError, now time.Time) *problem {
	h := http.Header{}
	httpmw.SetRateLimitFields(h, usage.QuotaStatus{Metric: qe.Metric, Limit: qe.Limit,
		Period: usage.Period{End: qe.PeriodEnd}}, now, true)
	return &problem{Type: ProblemQuotaExceeded, Status: http.StatusTooManyRequests,
		Detail: qe.Error(), header: h}
}
