package httpmw

import (
	"context"

	"github.com/usagekit/usage"
)

// Meter is what the middleware needs of a *usage.Meter, which is the one to pass
// in a service; a host may wrap it (to add tracing, say).
//
// The Properties maps of the events passed to Track and TrackBatch belong to the
// middleware again once the call returns: it fills them anew for later requests,
// unless the call's error (or an event's) says the Meter stopped waiting for a
// commit (usage.ErrUnavailable, or the context's end). A wrapper that keeps an
// event past the call must copy its properties, as it must any map it keeps;
// *usage.Meter keeps none.
type Meter interface {
	CheckQuota(ctx context.Context, subject, metric string, n float64) (usage.QuotaStatus, error)
	Track(ctx context.Context, ev usage.Event) (usage.TrackResult, error)
	TrackBatch(ctx context.Context, events []usage.Event) ([]usage.BatchResult, error)
	Correct(ctx context.Context, c usage.Correction) (usage.CorrectionResult, error)
}

var _ Meter = (*usage.Meter)(nil)
