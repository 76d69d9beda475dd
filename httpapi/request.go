package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/usagekit/usage"
)

// decodeBody reads the request's JSON body into v strictly: unknown fields, a
// value of the wrong type, and anything after the JSON value are refused with 400;
// a body over Options.MaxBodyBytes with 413.
func decodeBody(r *http.Request, v any) error {
	if r.Body == nil {
		return badRequest("body", "a JSON body is required")
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var maxBE *http.MaxBytesError
		if errors.As(err, &maxBE) {
			return err
		}
		return badRequest("body", "the body holds more than one JSON value")
	}
	return nil
}

// bodyError turns a decoding error into a 400 problem naming the field.
func bodyError(err error) error {
	var (
		maxBE  *http.MaxBytesError
		typeE  *json.UnmarshalTypeError
		syntax *json.SyntaxError
	)
	switch {
	case errors.As(err, &maxBE):
		return err
	case errors.Is(err, io.EOF):
		return badRequest("body", "a JSON body is required")
	case errors.As(err, &typeE):
		field := cmpOr(typeE.Field, "body")
		return badRequest(field, fmt.Sprintf("want a JSON %s", jsonKind(typeE.Type.Kind().String())))
	case errors.As(err, &syntax):
		return badRequest("body", fmt.Sprintf("invalid JSON at byte %d", syntax.Offset))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return badRequest(name, "unknown field")
	}
	return badRequest("body", "invalid JSON: "+err.Error())
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "slice", "array":
		return "array"
	case "map", "struct", "ptr":
		return "object"
	case "bool":
		return "boolean"
	}
	return "number"
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// decimalPattern is the form of quantities in request bodies and queries: a
// decimal number without exponent, at most six fractional digits.
var decimalPattern = regexp.MustCompile(`^-?[0-9]{1,19}(\.[0-9]{1,6})?$`)

// parseQuantity reads a quantity given as a decimal string.
func parseQuantity(field, s string) (float64, error) {
	if !decimalPattern.MatchString(s) {
		return 0, badRequest(field, "want a decimal number as a string, such as \"12.5\", with at most six decimal places")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, badRequest(field, "out of range")
	}
	return f, nil
}

// query reads the query parameters of a request, collecting the first error.
type query struct {
	r   *http.Request
	err error
}

func newQuery(r *http.Request) *query { return &query{r: r} }

func (q *query) fail(field, reason string) {
	if q.err == nil {
		q.err = badRequest(field, reason)
	}
}

// str returns a parameter, at most 256 bytes.
func (q *query) str(name string) string {
	v := q.r.URL.Query().Get(name)
	if len(v) > 256 {
		q.fail(name, "at most 256 bytes")
		return ""
	}
	return v
}

// oneOf returns a parameter that must be one of allowed, or def when absent.
func (q *query) oneOf(name, def string, allowed ...string) string {
	v := q.str(name)
	if v == "" {
		return def
	}
	if !slices.Contains(allowed, v) {
		q.fail(name, "want one of "+strings.Join(allowed, ", "))
	}
	return v
}

// time returns an RFC 3339 time parameter, zero when absent.
func (q *query) time(name string) time.Time {
	v := q.str(name)
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		q.fail(name, "want an RFC 3339 time, such as 2026-03-01T00:00:00Z")
	}
	return t
}

// boolean returns a true/false parameter, nil when absent.
func (q *query) boolean(name string) *bool {
	switch q.str(name) {
	case "":
		return nil
	case "true":
		b := true
		return &b
	case "false":
		b := false
		return &b
	}
	q.fail(name, "want true or false")
	return nil
}

// location returns an IANA time zone parameter, nil when absent.
func (q *query) location(name string) *time.Location {
	v := q.str(name)
	if v == "" {
		return nil
	}
	loc, err := time.LoadLocation(v)
	if err != nil || strings.ContainsAny(v, "\x00") {
		q.fail(name, "want an IANA time zone, such as Europe/Lisbon")
		return nil
	}
	return loc
}

// limit returns the page size: 1 to max, def when absent.
func (q *query) limit(def, max int) int {
	v := q.str("limit")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		q.fail("limit", fmt.Sprintf("want a whole number from 1 to %d", max))
		return def
	}
	return n
}

// intCursor returns a cursor that is a record ID or an offset: 0 when absent.
func (q *query) intCursor() int64 {
	v := q.str("cursor")
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		q.fail("cursor", "not a cursor this list returned")
		return 0
	}
	return n
}

// metric returns a path parameter that must name a metric of the Meter.
func (a *api) metric(r *http.Request, name string) (usage.Metric, error) {
	key := r.PathValue(name)
	if key == "" {
		key = r.URL.Query().Get(name)
	}
	met, ok := a.metrics[key]
	if !ok {
		return usage.Metric{}, notFound(fmt.Sprintf("unknown metric %q", truncate(key)))
	}
	return met, nil
}

// pathID reads a positive integer ID from the path; anything else is not found.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, notFound(fmt.Sprintf("no %s %q", name, truncate(r.PathValue(name))))
	}
	return id, nil
}

// truncate shortens s for an error message.
func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// page cuts an in-memory list into a page from an offset cursor.
func page[T any](items []T, offset int64, limit int) list[T] {
	if offset > int64(len(items)) {
		offset = int64(len(items))
	}
	end := min(int(offset)+limit, len(items))
	out := list[T]{Items: items[offset:end]}
	if out.Items == nil {
		out.Items = []T{}
	}
	if end < len(items) {
		out.NextCursor = strconv.Itoa(end)
	}
	return out
}
