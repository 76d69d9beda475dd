package usage

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/usagekit/usage/store"
)

// Event is one use of a metric by a subject.
type Event struct {
	// ID is the idempotency key, unique per subject: an event tracked again with the
	// same Subject and ID is stored and charged once, and the original result is
	// returned. Use a request ID or a hash of what happened. Empty means an ID is
	// generated (a UUIDv7, ordered by time), and retries are then not recognised. At
	// most 256 bytes. IDs that increase over time (UUIDv7, ULID, a counter) are
	// stored faster than random ones (UUIDv4): the store's index of IDs grows at
	// one end instead of everywhere.
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
	// MaxValue in magnitude, or for a WholeUnits metric a whole number of at most
	// MaxWholeValue; positive for sum metrics and not negative for the others, unless
	// the metric allows negative values. Count and unique_count metrics ignore it.
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

// prepared is a validated event, ready for the store.
type prepared struct {
	event     Event
	value     Quantity
	stored    int64 // value at the metric's scale
	metric    Metric
	timeGiven bool
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
	b = binary.BigEndian.AppendUint64(b, uint64(p.stored))
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

// generatedID returns an ID for an event or correction that came without one: a
// UUIDv7 (RFC 9562) in 32 hex digits, which begins with the time in milliseconds
// and increases from call to call in a process. Stores key events by ID and
// subject, so events stored together then sit together in that index, whatever
// their subjects: random IDs scatter them over its pages, and each commit writes
// many more of them.
func generatedID() string {
	// NewV7 fails only if reading crypto/rand does, which crashes the program
	// instead of failing.
	u := uuid.Must(uuid.NewV7())
	return hex.EncodeToString(u[:])
}

// eventFromStore is a stored event of metric as the Meter shows it.
func eventFromStore(e store.Event, metric Metric) Event {
	return Event{ID: e.ID, Subject: e.Subject, User: e.User, Metric: e.Metric,
		Value: metric.quantity(e.Value).Float64(), Time: e.Time, Properties: e.Properties}
}
