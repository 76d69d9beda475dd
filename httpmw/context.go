package httpmw

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
)

type stateKey struct{}

// requestState is what a handler may change about its request's metering.
type requestState struct {
	mu sync.Mutex
	// changed is set once a handler changed the state, so that the request of one
	// that did not is settled without taking the lock.
	changed atomic.Bool
	cost    float64
	props   map[string]string
	// stored is set when the event was charged before the handler: its
	// properties are stored already.
	stored bool
}

func stateFrom(ctx context.Context) *requestState {
	s, _ := ctx.Value(stateKey{}).(*requestState)
	return s
}

// SetCost changes the cost charged for the request whose context ctx is, e.g. to
// the number of documents a handler found it processed. It reports false, and
// changes nothing, when ctx is not a metered request's or n is negative, NaN or
// infinite. The quota was checked before the handler ran, for the cost known then;
// for a limit without overage the charge is amended, and an amend past the limit
// is refused and logged (the response has been served).
func SetCost(ctx context.Context, n float64) bool {
	s := stateFrom(ctx)
	if s == nil || n < 0 || math.IsNaN(n) || math.IsInf(n, 0) {
		return false
	}
	s.mu.Lock()
	s.cost = n
	s.changed.Store(true)
	s.mu.Unlock()
	return true
}

// SetProperty adds a property to the event of the request whose context ctx is. It
// reports false when ctx is not a metered request's, or when its event was charged
// before the handler ran (a limit without overage, or WithStrict; see the package
// doc), whose properties are stored already. Keys and values must be valid as
// usage.Event properties; if they are not, the event is stored without the
// handler's properties, and that is counted in Stats.PropertiesDropped and logged.
func SetProperty(ctx context.Context, key, value string) bool {
	s := stateFrom(ctx)
	if s == nil || s.stored {
		return false
	}
	s.mu.Lock()
	if s.props == nil {
		s.props = make(map[string]string, 2)
	}
	s.props[key] = value
	s.changed.Store(true)
	s.mu.Unlock()
	return true
}
