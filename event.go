package usage

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/usagekit/usage/store"
)

// Event is one use of a metric by a subject.
type Event struct {
	// ID is the idempotency key, unique per subject: an event tracked again with the
	// same Subject and ID is stored and charged once, and the original result is
	// returned. Use a request ID or a hash of what happened. Empty means a random ID
	// is generated, and retries are then not recognised. At most 256 bytes.
	ID string
	// Subject is the tenant or customer the usage belongs to. Required, at most 256
	// bytes, no control characters.
	Subject string
	// User optionally names the user within the subject (for seats and reports).
	User string
	// Metric is the key of one of the Config's metrics.
	Metric string
	// Value is the amount used, read as the decimal with at most six fractional digits
	// that converts to it (0.1 is exactly one tenth). It must be finite and at most
	// MaxValue in magnitude; positive for sum metrics and not negative for the others,
	// unless the metric allows negative values. Count and unique_count metrics ignore
	// it.
	Value float64
	// Time is when the usage happened; zero means now. It must lie within the Config's
	// lateness window: not more than MaxLateness in the past or MaxFuture ahead.
	Time time.Time
	// Properties are dimensions of the event (route, status, region…): at most
	// Config.MaxProperties entries with keys of 1-64 characters of letters, digits,
	// '_', '.', ':', '-', and values of valid UTF-8 without NUL bytes, Config.MaxPropertyBytes
	// in all.
	Properties map[string]string
}

var propertyKeyPattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)

// maxIDBytes bounds subjects, IDs and users.
const maxIDBytes = 256

// prepared is a validated event, ready for the store.
type prepared struct {
	event     Event
	value     Quantity
	metric    Metric
	timeGiven bool
}

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
	value, why := quantityOf(ev.Value)
	if why != "" {
		return prepared{}, invalid("value", "%s", why)
	}
	if err := checkSign(metric, value); err != nil {
		return prepared{}, err
	}
	p := prepared{event: ev, value: value, metric: metric, timeGiven: !ev.Time.IsZero()}
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
		p.event.ID = randomID()
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
		if v.micros < 0 {
			return invalid("value", "negative values are not allowed for metric %s", m.Key)
		}
	case m.Aggregation == AggregationSum && v.micros <= 0:
		return invalid("value", "%s: metric %s needs a positive value (set Metric.AllowNegative for a sum that can go down)", v, m.Key)
	case v.micros < 0:
		return invalid("value", "%s: metric %s does not allow negative values", v, m.Key)
	}
	return nil
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
		if !propertyKeyPattern.MatchString(k) {
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

// fingerprint identifies the payload of an event, to tell a retry (same payload)
// from a conflicting reuse of its ID. A Time the caller left to default is not part
// of it, so a retry later still matches.
func (p prepared) fingerprint() string {
	// The payload is hashed in one piece, built on the stack for most events.
	var stack [256]byte
	b := stack[:0]
	appendString := func(s string) {
		b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
		b = append(b, s...)
	}
	appendString(p.event.Metric)
	appendString(p.event.User)
	b = binary.BigEndian.AppendUint64(b, uint64(p.value.micros))
	if p.timeGiven {
		b = append(b, 1)
		b = binary.BigEndian.AppendUint64(b, uint64(p.event.Time.UnixMicro()))
	} else {
		b = append(b, 0)
	}
	keys := make([]string, 0, len(p.event.Properties))
	for k := range p.event.Properties {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		appendString(k)
		appendString(p.event.Properties[k])
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// requested is what an event of value adds to a quota with the aggregation: one
// for count and unique_count metrics, its value otherwise.
func requested(agg Aggregation, value Quantity) Quantity {
	switch agg {
	case AggregationCount, AggregationUniqueCount:
		return QuantityFromMicros(store.MicrosPerUnit)
	}
	return value
}

// distinct is the value a unique_count metric counts for this event.
func (p prepared) distinct() string {
	if p.metric.DistinctProperty != "" {
		return p.event.Properties[p.metric.DistinctProperty]
	}
	return p.event.User
}

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
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
	switch {
	case reason == "":
		return invalid("reason", "empty: say why, for the record")
	case len(reason) > maxReasonBytes:
		return invalid("reason", "%d bytes, more than the maximum of %d", len(reason), maxReasonBytes)
	case !utf8.ValidString(reason):
		return invalid("reason", "not valid UTF-8")
	}
	for _, c := range reason {
		if c == 0 {
			return invalid("reason", "contains a NUL byte")
		}
	}
	return nil
}
