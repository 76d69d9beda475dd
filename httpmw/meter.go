package httpmw

import (
	"context"

	"github.com/usagekit/usage"
)

// Meter is what the middleware needs of a *usage.Meter, which is the one to pass
// in a service; a host may wrap it (to add tracing, say).
type Meter interface {
	CheckQuota(ctx context.Context, subject, metric string, n float64) (usage.QuotaStatus, error)
	Track(ctx context.Context, ev usage.Event) (usage.TrackResult, error)
	TrackBatch(ctx context.Context, events []usage.Event) ([]usage.BatchResult, error)
	Correct(ctx context.Context, c usage.Correction) (usage.CorrectionResult, error)
}

var _ Meter = (*usage.Meter)(nil)
