package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/usagekit/usage"
)

// writeJSON answers status with v as JSON. A 200 answer to a GET carries an ETag,
// the hash of its body, and a request whose If-None-Match holds it gets 304 with
// no body.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeStatus(w, r, status, "application/json", append(body, '\n'))
}

// writeRaw answers 200 with body, with an ETag on a GET.
func writeRaw(w http.ResponseWriter, r *http.Request, contentType string, body []byte) error {
	return writeStatus(w, r, http.StatusOK, contentType, body)
}

func writeStatus(w http.ResponseWriter, r *http.Request, status int, contentType string, body []byte) error {
	h := w.Header()
	if r.Method == http.MethodGet && status == http.StatusOK {
		sum := sha256.Sum256(body)
		tag := `"` + hex.EncodeToString(sum[:16]) + `"`
		h.Set("ETag", tag)
		h.Set("Cache-Control", "private, no-cache")
		if etagMatches(r.Header.Get("If-None-Match"), tag) {
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
	}
	h.Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, err := w.Write(body)
	return err
}

// etagMatches reports whether an If-None-Match value names tag (weak comparison,
// RFC 9110 section 13.1.2).
func etagMatches(header, tag string) bool {
	if header == "" {
		return false
	}
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == tag {
			return true
		}
	}
	return false
}

// The wire forms of the API's values.

// moneyJSON is an amount of a currency; the amount has at least two decimal
// places, more when it holds them ("0.008").
type moneyJSON struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

func money(m usage.Money) moneyJSON {
	cur := m.Currency
	if cur == "" {
		cur = usage.DefaultCurrency
	}
	return moneyJSON{Amount: amount(m.Amount), Currency: cur}
}

// amount formats d with at least two decimal places.
func amount(d decimal.Decimal) string {
	if d.Exponent() >= -2 {
		return d.StringFixed(2)
	}
	return d.String()
}

// periodJSON is a time span [start, end).
type periodJSON struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

func period(p usage.Period) periodJSON {
	return periodJSON{Start: rfc3339(p.Start), End: rfc3339(p.End)}
}

// rfc3339 formats t in UTC; the zero time is "".
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// list is a page of a list: next_cursor is absent on the last page.
type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// formatFloat writes a float64 quantity as its shortest exact decimal string.
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
