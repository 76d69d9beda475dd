package usage

import (
	"context"

	"github.com/usagekit/usage/internal/retry"
	"github.com/usagekit/usage/store"
)

// WhenUnavailable says what the Meter's reads do while the database is unavailable
// (a failure matching ErrUnavailable: the server is down, restarting, refusing
// connections, or a SQLite file is locked past its busy timeout).
//
// Whatever the policy, every call that needs the database retries it with capped,
// jittered exponential backoff inside the caller's context, and, when the context
// ends first (or while the database has not answered yet), returns an error that
// matches both ErrUnavailable and the context's error, with the method's prefix
// ("usage: track: …"). Errors that are not transient (a broken schema, a violated
// constraint) are returned at once. Track and TrackBatch always wait: an event is
// acknowledged only once it is stored.
type WhenUnavailable int

const (
	// WaitForStore (the default) makes every read wait for the database as above.
	WaitForStore WhenUnavailable = iota
	// AnswerStale makes CheckQuota and Quotas answer at once from what the Meter
	// already knows when the database is unavailable: its in-memory view of the
	// quota, however old, and a subject's plan assignment past Config.AssignmentTTL.
	// Such answers have QuotaStatus.Stale set. Where the Meter knows nothing of the
	// quota or the subject yet, the call waits as with WaitForStore. The other reads
	// (invoices, forecasts, event and anomaly listings) always wait.
	AnswerStale
)

// valid reports whether w is one of the constants.
func (w WhenUnavailable) valid() bool { return w == WaitForStore || w == AnswerStale }

// waiting is the store every public method of the Meter calls: each of its methods
// retries while the database is unavailable, by the one policy of package retry.
// The group-commit writer, which retries a whole batch by the same policy, and
// AnswerStale's single attempts use the store underneath.
type waiting struct {
	st store.Store
	// retried counts the attempts that failed as unavailable (nil: not counted).
	retried func()
}

var _ store.Store = waiting{}

// wait runs a store method of s under the retry policy. A context that has ended
// before the store is called ended during the Meter's call, while earlier steps
// waited for the database: that is the database not answering in time, so the
// error matches ErrUnavailable as well as the context's, as WhenUnavailable says.
func wait[P, R any](ctx context.Context, s waiting, method func(context.Context, *P) (*R, error), params *P) (*R, error) {
	if err := ctx.Err(); err != nil {
		return nil, retry.GaveUp(err, retry.NoAnswer(err))
	}
	var res *R
	err := retry.Do(ctx, func(ctx context.Context) error {
		var err error
		res, err = method(ctx, params)
		if s.retried != nil && retry.Transient(err) {
			s.retried()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (s waiting) Capabilities() store.Capabilities { return s.st.Capabilities() }

func (s waiting) Close() error { return s.st.Close() }

func (s waiting) Ingest(ctx context.Context, p *store.IngestParams) (*store.IngestResult, error) {
	return wait(ctx, s, s.st.Ingest, p)
}

func (s waiting) GetQuotas(ctx context.Context, p *store.GetQuotasParams) (*store.GetQuotasResult, error) {
	return wait(ctx, s, s.st.GetQuotas, p)
}

func (s waiting) GetSubject(ctx context.Context, p *store.GetSubjectParams) (*store.GetSubjectResult, error) {
	return wait(ctx, s, s.st.GetSubject, p)
}

func (s waiting) GetSubjects(ctx context.Context, p *store.GetSubjectsParams) (*store.GetSubjectsResult, error) {
	return wait(ctx, s, s.st.GetSubjects, p)
}

func (s waiting) ListEvents(ctx context.Context, p *store.ListEventsParams) (*store.ListEventsResult, error) {
	return wait(ctx, s, s.st.ListEvents, p)
}

func (s waiting) Series(ctx context.Context, p *store.SeriesParams) (*store.SeriesResult, error) {
	return wait(ctx, s, s.st.Series, p)
}

func (s waiting) InsertAnomalies(ctx context.Context, p *store.InsertAnomaliesParams) (*store.InsertAnomaliesResult, error) {
	return wait(ctx, s, s.st.InsertAnomalies, p)
}

func (s waiting) ListAnomalies(ctx context.Context, p *store.ListAnomaliesParams) (*store.ListAnomaliesResult, error) {
	return wait(ctx, s, s.st.ListAnomalies, p)
}

func (s waiting) SetAnomalyStatus(ctx context.Context, p *store.SetAnomalyStatusParams) (*store.SetAnomalyStatusResult, error) {
	return wait(ctx, s, s.st.SetAnomalyStatus, p)
}

func (s waiting) QueryUsage(ctx context.Context, p *store.UsageQueryParams) (*store.UsageQueryResult, error) {
	return wait(ctx, s, s.st.QueryUsage, p)
}

func (s waiting) ListMetricQuotas(ctx context.Context, p *store.ListMetricQuotasParams) (*store.ListMetricQuotasResult, error) {
	return wait(ctx, s, s.st.ListMetricQuotas, p)
}

func (s waiting) ListActiveSeries(ctx context.Context, p *store.ListActiveSeriesParams) (*store.ListActiveSeriesResult, error) {
	return wait(ctx, s, s.st.ListActiveSeries, p)
}

func (s waiting) ListEventTimes(ctx context.Context, p *store.ListEventTimesParams) (*store.ListEventTimesResult, error) {
	return wait(ctx, s, s.st.ListEventTimes, p)
}

func (s waiting) ChangePlan(ctx context.Context, p *store.ChangePlanParams) (*store.ChangePlanResult, error) {
	return wait(ctx, s, s.st.ChangePlan, p)
}

func (s waiting) AdjustQuota(ctx context.Context, p *store.AdjustQuotaParams) (*store.AdjustQuotaResult, error) {
	return wait(ctx, s, s.st.AdjustQuota, p)
}

func (s waiting) CorrectEvent(ctx context.Context, p *store.CorrectEventParams) (*store.CorrectEventResult, error) {
	return wait(ctx, s, s.st.CorrectEvent, p)
}

func (s waiting) ListCorrections(ctx context.Context, p *store.ListCorrectionsParams) (*store.ListCorrectionsResult, error) {
	return wait(ctx, s, s.st.ListCorrections, p)
}

func (s waiting) ListUnbilled(ctx context.Context, p *store.ListUnbilledParams) (*store.ListUnbilledResult, error) {
	return wait(ctx, s, s.st.ListUnbilled, p)
}

func (s waiting) GetBill(ctx context.Context, p *store.GetBillParams) (*store.GetBillResult, error) {
	return wait(ctx, s, s.st.GetBill, p)
}

func (s waiting) CloseBill(ctx context.Context, p *store.CloseBillParams) (*store.CloseBillResult, error) {
	return wait(ctx, s, s.st.CloseBill, p)
}

func (s waiting) InsertForecast(ctx context.Context, p *store.InsertForecastParams) (*store.InsertForecastResult, error) {
	return wait(ctx, s, s.st.InsertForecast, p)
}

func (s waiting) ListForecasts(ctx context.Context, p *store.ListForecastsParams) (*store.ListForecastsResult, error) {
	return wait(ctx, s, s.st.ListForecasts, p)
}

func (s waiting) RegisterMetrics(ctx context.Context, p *store.RegisterMetricsParams) (*store.RegisterMetricsResult, error) {
	return wait(ctx, s, s.st.RegisterMetrics, p)
}

func (s waiting) AcquireLease(ctx context.Context, p *store.AcquireLeaseParams) (*store.AcquireLeaseResult, error) {
	return wait(ctx, s, s.st.AcquireLease, p)
}

func (s waiting) ReleaseLease(ctx context.Context, p *store.ReleaseLeaseParams) (*store.ReleaseLeaseResult, error) {
	return wait(ctx, s, s.st.ReleaseLease, p)
}

func (s waiting) DeleteExpired(ctx context.Context, p *store.DeleteExpiredParams) (*store.DeleteExpiredResult, error) {
	return wait(ctx, s, s.st.DeleteExpired, p)
}

func (s waiting) InsertAlerts(ctx context.Context, p *store.InsertAlertsParams) (*store.InsertAlertsResult, error) {
	return wait(ctx, s, s.st.InsertAlerts, p)
}

func (s waiting) ListAlerts(ctx context.Context, p *store.ListAlertsParams) (*store.ListAlertsResult, error) {
	return wait(ctx, s, s.st.ListAlerts, p)
}

func (s waiting) AcknowledgeAlert(ctx context.Context, p *store.AcknowledgeAlertParams) (*store.AcknowledgeAlertResult, error) {
	return wait(ctx, s, s.st.AcknowledgeAlert, p)
}

func (s waiting) CountUnacknowledgedAlerts(ctx context.Context, p *store.CountUnacknowledgedAlertsParams) (*store.CountUnacknowledgedAlertsResult, error) {
	return wait(ctx, s, s.st.CountUnacknowledgedAlerts, p)
}

func (s waiting) ClaimDeliveries(ctx context.Context, p *store.ClaimDeliveriesParams) (*store.ClaimDeliveriesResult, error) {
	return wait(ctx, s, s.st.ClaimDeliveries, p)
}

func (s waiting) CompleteDelivery(ctx context.Context, p *store.CompleteDeliveryParams) (*store.CompleteDeliveryResult, error) {
	return wait(ctx, s, s.st.CompleteDelivery, p)
}

func (s waiting) SetThresholds(ctx context.Context, p *store.SetThresholdsParams) (*store.SetThresholdsResult, error) {
	return wait(ctx, s, s.st.SetThresholds, p)
}

func (s waiting) ListThresholds(ctx context.Context, p *store.ListThresholdsParams) (*store.ListThresholdsResult, error) {
	return wait(ctx, s, s.st.ListThresholds, p)
}
