package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// Store implements store.Store on a bun.DB. Every method's error passes through one
// classification (classify), so that a transient failure matches
// store.ErrUnavailable whichever method met it, reads included.
type Store struct {
	e *engine
}

var _ store.Store = (*Store)(nil)

// classify wraps err in store.ErrUnavailable when the dialect says it is transient,
// and leaves every other error as it is.
func (s *engine) classify(err error) error {
	if err == nil || errors.Is(err, store.ErrUnavailable) || !s.dialect.Unavailable(err) {
		return err
	}
	if s.closeDB && s.dialect.DropIdle != nil {
		s.dialect.DropIdle(s.db.DB, err)
	}
	return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
}

// classified runs method with params and classifies its error.
func classified[P, R any](ctx context.Context, s *Store, method func(context.Context, *P) (*R, error), params *P) (*R, error) {
	res, err := method(ctx, params)
	if err != nil {
		return nil, s.e.classify(err)
	}
	return res, nil
}

// Capabilities implements store.Store.
func (s *Store) Capabilities() store.Capabilities { return s.e.dialect.Capabilities }

// Close implements store.Store.
func (s *Store) Close() error {
	s.e.releaseWriter()
	if s.e.closeDB {
		return s.e.db.Close()
	}
	return nil
}

// DB returns the underlying database, for the backends' own tests.
func (s *Store) DB() *bun.DB { return s.e.db }

// Ingest implements store.Store.
func (s *Store) Ingest(ctx context.Context, p *store.IngestParams) (*store.IngestResult, error) {
	return classified(ctx, s, s.e.Ingest, p)
}

// GetQuotas implements store.Store.
func (s *Store) GetQuotas(ctx context.Context, p *store.GetQuotasParams) (*store.GetQuotasResult, error) {
	return classified(ctx, s, s.e.GetQuotas, p)
}

// GetSubject implements store.Store.
func (s *Store) GetSubject(ctx context.Context, p *store.GetSubjectParams) (*store.GetSubjectResult, error) {
	return classified(ctx, s, s.e.GetSubject, p)
}

// GetSubjects implements store.Store.
func (s *Store) GetSubjects(ctx context.Context, p *store.GetSubjectsParams) (*store.GetSubjectsResult, error) {
	return classified(ctx, s, s.e.GetSubjects, p)
}

// ListEvents implements store.Store.
func (s *Store) ListEvents(ctx context.Context, p *store.ListEventsParams) (*store.ListEventsResult, error) {
	return classified(ctx, s, s.e.ListEvents, p)
}

// QueryUsage implements store.Store.
func (s *Store) QueryUsage(ctx context.Context, p *store.UsageQueryParams) (*store.UsageQueryResult, error) {
	return classified(ctx, s, s.e.QueryUsage, p)
}

// ListMetricQuotas implements store.Store.
func (s *Store) ListMetricQuotas(ctx context.Context, p *store.ListMetricQuotasParams) (*store.ListMetricQuotasResult, error) {
	return classified(ctx, s, s.e.ListMetricQuotas, p)
}

// Series implements store.Store.
func (s *Store) Series(ctx context.Context, p *store.SeriesParams) (*store.SeriesResult, error) {
	return classified(ctx, s, s.e.Series, p)
}

// InsertAnomalies implements store.Store.
func (s *Store) InsertAnomalies(ctx context.Context, p *store.InsertAnomaliesParams) (*store.InsertAnomaliesResult, error) {
	return classified(ctx, s, s.e.InsertAnomalies, p)
}

// ListAnomalies implements store.Store.
func (s *Store) ListAnomalies(ctx context.Context, p *store.ListAnomaliesParams) (*store.ListAnomaliesResult, error) {
	return classified(ctx, s, s.e.ListAnomalies, p)
}

// SetAnomalyStatus implements store.Store.
func (s *Store) SetAnomalyStatus(ctx context.Context, p *store.SetAnomalyStatusParams) (*store.SetAnomalyStatusResult, error) {
	return classified(ctx, s, s.e.SetAnomalyStatus, p)
}

// ListActiveSeries implements store.Store.
func (s *Store) ListActiveSeries(ctx context.Context, p *store.ListActiveSeriesParams) (*store.ListActiveSeriesResult, error) {
	return classified(ctx, s, s.e.ListActiveSeries, p)
}

// ListEventTimes implements store.Store.
func (s *Store) ListEventTimes(ctx context.Context, p *store.ListEventTimesParams) (*store.ListEventTimesResult, error) {
	return classified(ctx, s, s.e.ListEventTimes, p)
}

// ChangePlan implements store.Store.
func (s *Store) ChangePlan(ctx context.Context, p *store.ChangePlanParams) (*store.ChangePlanResult, error) {
	return classified(ctx, s, s.e.ChangePlan, p)
}

// AdjustQuota implements store.Store.
func (s *Store) AdjustQuota(ctx context.Context, p *store.AdjustQuotaParams) (*store.AdjustQuotaResult, error) {
	return classified(ctx, s, s.e.AdjustQuota, p)
}

// CorrectEvent implements store.Store.
func (s *Store) CorrectEvent(ctx context.Context, p *store.CorrectEventParams) (*store.CorrectEventResult, error) {
	return classified(ctx, s, s.e.CorrectEvent, p)
}

// ListCorrections implements store.Store.
func (s *Store) ListCorrections(ctx context.Context, p *store.ListCorrectionsParams) (*store.ListCorrectionsResult, error) {
	return classified(ctx, s, s.e.ListCorrections, p)
}

// ListUnbilled implements store.Store.
func (s *Store) ListUnbilled(ctx context.Context, p *store.ListUnbilledParams) (*store.ListUnbilledResult, error) {
	return classified(ctx, s, s.e.ListUnbilled, p)
}

// GetBill implements store.Store.
func (s *Store) GetBill(ctx context.Context, p *store.GetBillParams) (*store.GetBillResult, error) {
	return classified(ctx, s, s.e.GetBill, p)
}

// CloseBill implements store.Store.
func (s *Store) CloseBill(ctx context.Context, p *store.CloseBillParams) (*store.CloseBillResult, error) {
	return classified(ctx, s, s.e.CloseBill, p)
}

// InsertForecast implements store.Store.
func (s *Store) InsertForecast(ctx context.Context, p *store.InsertForecastParams) (*store.InsertForecastResult, error) {
	return classified(ctx, s, s.e.InsertForecast, p)
}

// ListForecasts implements store.Store.
func (s *Store) ListForecasts(ctx context.Context, p *store.ListForecastsParams) (*store.ListForecastsResult, error) {
	return classified(ctx, s, s.e.ListForecasts, p)
}

// RegisterMetrics implements store.Store.
func (s *Store) RegisterMetrics(ctx context.Context, p *store.RegisterMetricsParams) (*store.RegisterMetricsResult, error) {
	return classified(ctx, s, s.e.RegisterMetrics, p)
}

// InsertAlerts implements store.Store.
func (s *Store) InsertAlerts(ctx context.Context, p *store.InsertAlertsParams) (*store.InsertAlertsResult, error) {
	return classified(ctx, s, s.e.InsertAlerts, p)
}

// ListAlerts implements store.Store.
func (s *Store) ListAlerts(ctx context.Context, p *store.ListAlertsParams) (*store.ListAlertsResult, error) {
	return classified(ctx, s, s.e.ListAlerts, p)
}

// AcknowledgeAlert implements store.Store.
func (s *Store) AcknowledgeAlert(ctx context.Context, p *store.AcknowledgeAlertParams) (*store.AcknowledgeAlertResult, error) {
	return classified(ctx, s, s.e.AcknowledgeAlert, p)
}

// CountUnacknowledgedAlerts implements store.Store.
func (s *Store) CountUnacknowledgedAlerts(ctx context.Context, p *store.CountUnacknowledgedAlertsParams) (*store.CountUnacknowledgedAlertsResult, error) {
	return classified(ctx, s, s.e.CountUnacknowledgedAlerts, p)
}

// ClaimDeliveries implements store.Store.
func (s *Store) ClaimDeliveries(ctx context.Context, p *store.ClaimDeliveriesParams) (*store.ClaimDeliveriesResult, error) {
	return classified(ctx, s, s.e.ClaimDeliveries, p)
}

// CompleteDelivery implements store.Store.
func (s *Store) CompleteDelivery(ctx context.Context, p *store.CompleteDeliveryParams) (*store.CompleteDeliveryResult, error) {
	return classified(ctx, s, s.e.CompleteDelivery, p)
}

// SetThresholds implements store.Store.
func (s *Store) SetThresholds(ctx context.Context, p *store.SetThresholdsParams) (*store.SetThresholdsResult, error) {
	return classified(ctx, s, s.e.SetThresholds, p)
}

// ListThresholds implements store.Store.
func (s *Store) ListThresholds(ctx context.Context, p *store.ListThresholdsParams) (*store.ListThresholdsResult, error) {
	return classified(ctx, s, s.e.ListThresholds, p)
}

// AcquireLease implements store.Store.
func (s *Store) AcquireLease(ctx context.Context, p *store.AcquireLeaseParams) (*store.AcquireLeaseResult, error) {
	return classified(ctx, s, s.e.AcquireLease, p)
}

// ReleaseLease implements store.Store.
func (s *Store) ReleaseLease(ctx context.Context, p *store.ReleaseLeaseParams) (*store.ReleaseLeaseResult, error) {
	return classified(ctx, s, s.e.ReleaseLease, p)
}

// DeleteExpired implements store.Store.
func (s *Store) DeleteExpired(ctx context.Context, p *store.DeleteExpiredParams) (*store.DeleteExpiredResult, error) {
	return classified(ctx, s, s.e.DeleteExpired, p)
}
