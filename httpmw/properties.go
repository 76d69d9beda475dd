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

// properties are the recorded dimensions of a served request: route, method,
// status, latency_ms (with microseconds) and bytes, then the handler's own, which
// may not replace them.
func properties(route, method string, status int, latency, bytes string, host map[string]string) map[string]string {
	p := make(map[string]string, 5+len(host))
	for k, v := range host {
		p[k] = v
	}
	if route != "" {
		p["route"] = route
	}
	p["method"] = method
	if status >= 0 && status < len(statusText) {
		p["status"] = statusText[status]
	} else {
		p["status"] = strconv.Itoa(status)
	}
	p["latency_ms"], p["bytes"] = latency, bytes
	return p
}

// eventBuilder turns records into events. The generated IDs and the numbers of up
// to eventsPerString events are written in one buffer and converted once, each a
// slice of that string: one allocation for them instead of two per event, and a
// string kept by whoever keeps one event's ID or properties stays small.
type eventBuilder struct {
	ids  *idSource
	buf  []byte
	ends []int
}

const eventsPerString = 32

// build sets out[i] to the event of recs[i]; out is as long as recs.
func (e *eventBuilder) build(recs []record, out []usage.Event) {
	for len(recs) > eventsPerString {
		e.buildString(recs[:eventsPerString], out)
		recs, out = recs[eventsPerString:], out[eventsPerString:]
	}
	e.buildString(recs, out)
}

func (e *eventBuilder) buildString(recs []record, out []usage.Event) {
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
		out[i].Properties = properties(r.route, r.method, r.status, all[id:latency], all[latency:bytes], r.props)
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
