package httpmw

import (
	"strconv"
	"time"

	"github.com/usagekit/usage"
)

// statusText holds the decimal form of every status code, so recording one costs
// no allocation.
var statusText = func() (t [600]string) {
	for i := range t {
		t[i] = strconv.Itoa(i)
	}
	return t
}()

// properties fills p (or, if p is nil, a new map) with the recorded dimensions of
// a served request: route, method, status, latency_ms (with microseconds) and
// bytes, then the handler's own, which may not replace them.
func properties(p map[string]string, route, method string, status int, latency, bytes string, host map[string]string) map[string]string {
	if p == nil {
		p = make(map[string]string, 5+len(host))
	} else {
		clear(p)
	}
	for k, v := range host {
		p[k] = v
	}
	if route != "" {
		p[propRoute] = route
	}
	p[propMethod] = methodProperty(method)
	if status >= 0 && status < len(statusText) {
		p[propStatus] = statusText[status]
	} else {
		p[propStatus] = strconv.Itoa(status)
	}
	p[propLatency], p[propBytes] = latency, bytes
	return p
}

// The keys of the properties the middleware records for every request.
const (
	propRoute   = "route"
	propMethod  = "method"
	propStatus  = "status"
	propLatency = "latency_ms"
	propBytes   = "bytes"
)

// maxMethodProperty is the longest method recorded whole. net/http accepts a
// method of any length, and one past the limit of a property's value would make
// the event invalid: its request would go uncharged.
const maxMethodProperty = 32

// methodProperty is the method as a request's event records it: cut to
// maxMethodProperty bytes. A method is a token of ASCII characters, so any cut is
// valid text.
func methodProperty(m string) string {
	if len(m) > maxMethodProperty {
		return m[:maxMethodProperty]
	}
	return m
}

// standardProperties returns the properties of an event without those its
// handler set: those the middleware records for every request.
func standardProperties(p map[string]string) map[string]string {
	out := make(map[string]string, 5)
	for _, k := range [...]string{propRoute, propMethod, propStatus, propLatency, propBytes} {
		if v, ok := p[k]; ok {
			out[k] = v
		}
	}
	return out
}

// eventBuilder turns records into events. The generated IDs and the numbers of up
// to eventsPerString events are written in one buffer and converted once, each a
// slice of that string: one allocation for them instead of two per event, and a
// string kept by whoever keeps one event's ID or properties stays small. The
// properties maps of a batch the Meter is done with are filled again for the next
// (see Meter), so a worker that stores batch after batch allocates none.
type eventBuilder struct {
	ids  *idSource
	buf  []byte
	ends []int
	// maps holds a properties map for each place in a batch, or nil where the
	// next build makes a new one.
	maps []map[string]string
}

const (
	eventsPerString = 32
	// reusedProperties is the most entries a properties map may have held to be
	// filled again: one that grew for a request with many properties of its own
	// is left to the collector rather than kept at that size.
	reusedProperties = 8
)

// build sets out[i] to the event of recs[i]; out is as long as recs.
func (e *eventBuilder) build(recs []record, out []usage.Event) {
	if len(e.maps) < len(recs) {
		e.maps = append(e.maps, make([]map[string]string, len(recs)-len(e.maps))...)
	}
	for at := 0; at < len(recs); at += eventsPerString {
		n := min(len(recs)-at, eventsPerString)
		e.buildString(recs[at:at+n], out[at:at+n], e.maps[at:at+n])
	}
}

// reuse keeps the properties maps of the last batch built for the next one, if
// the Meter is done with them (see Meter); otherwise the next build makes new ones.
func (e *eventBuilder) reuse(done bool) {
	for i, m := range e.maps {
		if !done || len(m) > reusedProperties {
			e.maps[i] = nil
		}
	}
}

func (e *eventBuilder) buildString(recs []record, out []usage.Event, maps []map[string]string) {
	b, ends := e.buf[:0], e.ends[:0]
	for i := range recs {
		r := &recs[i]
		if r.ev.ID == "" {
			b = e.ids.appendNext(b)
		}
		ends = append(ends, len(b))
		b = appendMillis(b, r.latency)
		ends = append(ends, len(b))
		b = strconv.AppendInt(b, r.bytes, 10)
		ends = append(ends, len(b))
	}
	all := string(b)
	e.buf, e.ends = b, ends
	start := 0
	for i := range recs {
		r := &recs[i]
		id, latency, bytes := ends[3*i], ends[3*i+1], ends[3*i+2]
		out[i] = r.ev
		if r.ev.ID == "" {
			out[i].ID = all[start:id]
		}
		maps[i] = properties(maps[i], r.route, r.method, r.status, all[id:latency], all[latency:bytes], r.props)
		out[i].Properties = maps[i]
		start = bytes
	}
}

// appendMillis appends d in milliseconds with three decimals, as
// strconv.AppendFloat(b, float64(d.Microseconds())/1000, 'f', 3, 64) would, in
// integer arithmetic.
func appendMillis(b []byte, d time.Duration) []byte {
	us := d.Microseconds()
	if us < 0 {
		return strconv.AppendFloat(b, float64(us)/1000, 'f', 3, 64)
	}
	b = strconv.AppendInt(b, us/1000, 10)
	frac := us % 1000
	return append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
}
