package httpmw

import (
	"encoding/json"
	"net/http"
	"time"
)

// ProblemTypeQuotaExceeded is the type of the problem a 429 carries: the
// quota-exceeded problem type of draft-ietf-httpapi-ratelimit-headers.
const ProblemTypeQuotaExceeded = "https://iana.org/assignments/http-problem-types#quota-exceeded"

// Problem is the RFC 9457 application/problem+json body of the middleware's error
// responses. Type is ProblemTypeQuotaExceeded for a 429 and "about:blank" for the
// others; the quota members are set on a 429 only.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Metric is the quota's metric; Used and Limit its usage and limit in the
	// current period, which ends at PeriodEnd.
	Metric    string     `json:"metric,omitempty"`
	Used      *float64   `json:"used,omitempty"`
	Limit     *float64   `json:"limit,omitempty"`
	PeriodEnd *time.Time `json:"period_end,omitempty"`
	// ViolatedPolicies names the RateLimit-Policy items the request exceeded.
	ViolatedPolicies []string `json:"violated-policies,omitempty"`
}

// writeProblem answers with p as application/problem+json.
func writeProblem(w http.ResponseWriter, p *Problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	body, _ := json.Marshal(p) // a Problem always marshals
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_, _ = w.Write(body)
}

// quotaProblem is the body of a 429 for a quota at used of limit.
func quotaProblem(metric string, used, limit float64, end time.Time, detail string) *Problem {
	return &Problem{Type: ProblemTypeQuotaExceeded, Title: "Quota exceeded",
		Status: http.StatusTooManyRequests, Detail: detail, Metric: metric,
		Used: &used, Limit: &limit, PeriodEnd: &end, ViolatedPolicies: []string{metric}}
}
