package usage

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// validPropertyKey reports whether k is 1-64 characters of letters, digits, '_',
// '.', ':' and '-', the keys of properties and the names of dimensions. A loop over
// the bytes: a regular expression took most of the time an event's checks took.
func validPropertyKey(k string) bool {
	if len(k) == 0 || len(k) > 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		switch c := k[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '_', c == '.', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// maxIDBytes bounds subjects, IDs and users.
const maxIDBytes = 256

// prepare validates ev against the configuration at now and fills in the defaults
// (ID, Time). It returns a *ValidationError naming the field at fault.
func (c *Config) prepare(ev Event, now time.Time) (prepared, error) {
	if err := checkName("subject", ev.Subject, true); err != nil {
		return prepared{}, err
	}
	if err := checkName("id", ev.ID, false); err != nil {
		return prepared{}, err
	}
	if err := checkName("user", ev.User, false); err != nil {
		return prepared{}, err
	}
	metric, err := c.metric(ev.Metric)
	if err != nil {
		return prepared{}, err
	}
	value, why := quantityOf(ev.Value, metric.scale())
	if why != "" {
		return prepared{}, invalid("value", "%s", why)
	}
	if err := checkSign(metric, value); err != nil {
		return prepared{}, err
	}
	stored, _ := value.at(metric.scale())
	p := prepared{event: ev, value: value, stored: stored, metric: metric, timeGiven: !ev.Time.IsZero()}
	if p.timeGiven {
		if ev.Time.Before(now.Add(-c.MaxLateness)) {
			return prepared{}, invalid("time", "%s is more than %s in the past", ev.Time.Format(time.RFC3339), c.MaxLateness)
		}
		if ev.Time.After(now.Add(c.MaxFuture)) {
			return prepared{}, invalid("time", "%s is more than %s in the future", ev.Time.Format(time.RFC3339), c.MaxFuture)
		}
	} else {
		p.event.Time = now
	}
	if err := c.checkProperties(ev.Properties); err != nil {
		return prepared{}, err
	}
	if metric.Aggregation == AggregationUniqueCount && metric.DistinctProperty != "" && ev.Properties[metric.DistinctProperty] == "" {
		return prepared{}, invalid("properties", "metric %s counts distinct values of property %q, which the event lacks", metric.Key, metric.DistinctProperty)
	}
	if metric.Aggregation == AggregationUniqueCount && metric.DistinctProperty == "" && ev.User == "" {
		return prepared{}, invalid("user", "metric %s counts distinct users: set User", metric.Key)
	}
	if p.event.ID == "" {
		p.event.ID = generatedID()
	}
	// Stores keep microseconds in UTC; the result shows the event as stored.
	p.event.Time = p.event.Time.Truncate(time.Microsecond).UTC()
	return p, nil
}

func checkSign(m Metric, v Quantity) error {
	switch {
	case m.AllowNegative:
		return nil
	case m.Aggregation == AggregationCount || m.Aggregation == AggregationUniqueCount:
		if v.Sign() < 0 {
			return invalid("value", "negative values are not allowed for metric %s", m.Key)
		}
	case m.Aggregation == AggregationSum && v.Sign() <= 0:
		return invalid("value", "%s: metric %s needs a positive value (set Metric.AllowNegative for a sum that can go down)", v, m.Key)
	case v.Sign() < 0:
		return invalid("value", "%s: metric %s does not allow negative values", v, m.Key)
	}
	return nil
}

// plainName reports whether s is a name checkName accepts that has only printable
// ASCII: a check of each byte, for the paths that answer from memory. A name it
// does not report plain may still be valid; checkName tells.
func plainName(s string) bool {
	if s == "" || len(s) > maxIDBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func checkName(field, s string, required bool) error {
	if s == "" {
		if required {
			return invalid(field, "empty: it is required")
		}
		return nil
	}
	if len(s) > maxIDBytes {
		return invalid(field, "%d bytes, more than the maximum of %d", len(s), maxIDBytes)
	}
	if !utf8.ValidString(s) {
		return invalid(field, "not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return invalid(field, "contains the control character %U", r)
		}
	}
	return nil
}

func (c *Config) checkProperties(props map[string]string) error {
	if len(props) > c.MaxProperties {
		return invalid("properties", "%d entries, more than the maximum of %d", len(props), c.MaxProperties)
	}
	total := 0
	for k, v := range props {
		if !validPropertyKey(k) {
			return invalid("properties", "key %q: want 1-64 characters of letters, digits, '_', '.', ':', '-'", truncate(k))
		}
		if !utf8.ValidString(v) {
			return invalid(fmt.Sprintf("properties[%q]", k), "not valid UTF-8")
		}
		if slices.Contains([]byte(v), 0) {
			return invalid(fmt.Sprintf("properties[%q]", k), "contains a NUL byte")
		}
		total += len(k) + len(v)
	}
	if total > c.MaxPropertyBytes {
		return invalid("properties", "%d bytes in all, more than the maximum of %d", total, c.MaxPropertyBytes)
	}
	return nil
}

// truncate shortens user input quoted in an error message.
func truncate(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

// maxReasonBytes bounds the reason recorded with an administrative change.
const maxReasonBytes = 1024

// checkReason checks the reason recorded with an administrative change.
func checkReason(reason string) error {
	if reason == "" {
		return invalid("reason", "empty: say why, for the record")
	}
	return checkText("reason", reason, maxReasonBytes)
}

// checkText checks free text a person writes (a reason, a note): valid UTF-8 without
// NUL bytes, at most max bytes. Line breaks and tabs are allowed, unlike in names.
func checkText(field, s string, max int) error {
	switch {
	case len(s) > max:
		return invalid(field, "%d bytes, more than the maximum of %d", len(s), max)
	case !utf8.ValidString(s):
		return invalid(field, "not valid UTF-8")
	case strings.IndexByte(s, 0) >= 0:
		return invalid(field, "contains a NUL byte")
	}
	return nil
}

// checkSpan checks the bounds [from, to) of a listing, naming field for a to that is
// not after from: a zero time leaves its side open.
func checkSpan(field string, from, to time.Time) error {
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return invalid(field, "%s is not after from (%s): want from < to, or a zero time for an open side",
			to.Format(time.RFC3339Nano), from.Format(time.RFC3339Nano))
	}
	return nil
}
