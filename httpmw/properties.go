package httpmw

import (
	"strconv"
	"time"
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
func properties(route, method string, status int, latency time.Duration, bytes int64, host map[string]string) map[string]string {
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
	// Both numbers in one string, sliced: one allocation.
	var buf [48]byte
	b := strconv.AppendFloat(buf[:0], float64(latency.Microseconds())/1000, 'f', 3, 64)
	n := len(b)
	b = strconv.AppendInt(b, bytes, 10)
	s := string(b)
	p["latency_ms"], p["bytes"] = s[:n], s[n:]
	return p
}
