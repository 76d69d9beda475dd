package httpmw

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync/atomic"
)

// maxRequestID is the longest request ID used as an event ID; longer ones are
// replaced by a generated ID, as are IDs with bytes outside printable ASCII.
const maxRequestID = 128

// usableID reports whether a client's request ID can be the event ID as it is.
func usableID(id string) bool {
	if id == "" || len(id) > maxRequestID {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// idSource generates request IDs: a random prefix per Middleware and a counter, so
// IDs are unique across instances without reading the system's random source for
// every request.
type idSource struct {
	prefix string
	n      atomic.Uint64
}

func newIDSource() *idSource {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return &idSource{prefix: "req-" + hex.EncodeToString(b[:]) + "-"}
}

func (s *idSource) next() string {
	var buf [64]byte
	return string(s.appendNext(buf[:0]))
}

// appendNext appends a new ID to b.
func (s *idSource) appendNext(b []byte) []byte {
	return strconv.AppendUint(append(b, s.prefix...), s.n.Add(1), 10)
}
