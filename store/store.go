// Package store defines the storage contract of usage: the Store interface that the
// SQLite and Postgres backends implement, the records they keep and the errors they
// return. The root package usage is the only intended caller; hosts open a backend
// (store/sqlite, store/postgres) and hand it to usage.New.
//
// Every method takes a context first and a params struct, and returns a result
// struct, so fields can be added without breaking backends or callers. Quantities are
// exact fixed-point integers in micro-units (see MicrosPerUnit), except those of a
// metric registered at scale 0 (see RegisterMetrics and MetricScale), which count
// whole units: "micro-units" in this package means a metric's stored integer. The
// store adds and compares them and never mixes metrics, so only a count (one
// MicrosPerUnit per event) assumes scale 6, and count metrics always have it. Times are stored as
// microseconds since the Unix epoch, in UTC: a time read back is the time written,
// truncated to the microsecond, on every backend.
package store

import "context"

// MicrosPerUnit is the number of stored micro-units in one unit of a metric: values and
// limits are int64 counts of millionths, so sums are exact (ten million events of 0.1
// add up to exactly 1,000,000).
const MicrosPerUnit = 1_000_000

// Store is the durable state of a Meter. Implementations must be safe for concurrent
// use by many goroutines and, where Capabilities says so, by several processes
// sharing one database.
type Store interface {
	// Ingest stores a batch of events in one transaction, in order, and applies each
	// admitted event to its quota row. For each event the result holds its outcome:
	// inserted, a replay of an identical event already stored (same subject and ID,
	// same fingerprint: nothing changes and the original outcome is returned), a
	// conflict (same subject and ID, another fingerprint: nothing changes), refused
	// because it would take a quota without overage past its limit (nothing stored),
	// or refused because it would take the quota past the int64 range (StatusOverflow,
	// nothing stored).
	// Events for one quota are admitted in order until the limit. The quota rows a
	// batch touches are locked for the transaction, so the limit holds exactly across
	// processes. A returned error means nothing of the batch was stored.
	Ingest(ctx context.Context, params *IngestParams) (*IngestResult, error)

	// GetQuotas returns the quota rows of a subject whose period contains At, for the
	// given metrics (all metrics when Metrics is empty). A quota with no usage yet has
	// no row and is absent from the result.
	GetQuotas(ctx context.Context, params *GetQuotasParams) (*GetQuotasResult, error)

	// GetSubject returns a subject's plan assignment, or an error that matches
	// ErrNotFound.
	GetSubject(ctx context.Context, params *GetSubjectParams) (*GetSubjectResult, error)

	// GetSubjects returns the plan assignments of those of the given subjects that
	// have one, in any order: one read for many subjects first seen together.
	GetSubjects(ctx context.Context, params *GetSubjectsParams) (*GetSubjectsResult, error)

	// ListEvents returns stored events of a subject in storage order, after the
	// sequence number AfterSeq, at most Limit of them.
	ListEvents(ctx context.Context, params *ListEventsParams) (*ListEventsResult, error)

	// Series returns the hourly rollups of a subject's metric whose buckets start in
	// [From, To), oldest first. Rollups are kept in the same transaction as the events,
	// so they always agree with them. Hours without events are absent.
	Series(ctx context.Context, params *SeriesParams) (*SeriesResult, error)

	// InsertAnomalies stores anomaly records in one transaction, skipping those whose
	// subject, metric, time and method are already stored, and returns the new ones
	// with their IDs. Each new one flagged FraudSuspect raises an AlertFraudSuspect
	// (Ref: the anomaly's ID) in the same transaction. An invalid status fails with ErrInvalidStatus and stores nothing.
	InsertAnomalies(ctx context.Context, params *InsertAnomaliesParams) (*InsertAnomaliesResult, error)

	// ListAnomalies returns anomaly records matching the filters, ordered by ID, after
	// AfterID, at most Limit of them. An invalid Status filter fails with
	// ErrInvalidStatus.
	ListAnomalies(ctx context.Context, params *ListAnomaliesParams) (*ListAnomaliesResult, error)

	// SetAnomalyStatus changes an anomaly's status and note and returns the record.
	// An unknown ID fails with an error matching ErrNotFound, an invalid status with
	// ErrInvalidStatus.
	SetAnomalyStatus(ctx context.Context, params *SetAnomalyStatusParams) (*SetAnomalyStatusResult, error)

	// ListActiveSeries returns the distinct subject and metric pairs that have an
	// hourly rollup starting at or after Since, ordered by subject then metric, after
	// After, at most Limit of them.
	ListActiveSeries(ctx context.Context, params *ListActiveSeriesParams) (*ListActiveSeriesResult, error)

	// ListEventTimes returns the times of a subject's events of one metric in
	// [From, To), oldest first: the latest Limit of them when there are more.
	ListEventTimes(ctx context.Context, params *ListEventTimesParams) (*ListEventTimesResult, error)

	// ChangePlan stores a subject's new plan assignment, records it in the plan
	// history at At, and sets the limits of the subject's quota rows whose period
	// contains At to the new plan's, plus the units granted to them: the new limit
	// applies from the change. All in one transaction.
	ChangePlan(ctx context.Context, params *ChangePlanParams) (*ChangePlanResult, error)

	// AdjustQuota records a grant or a reset of one quota row and raises the row's
	// limit by the amount, in one transaction under the row's lock. Usage itself
	// never changes: a reset grants what is used beyond earlier grants. The row's
	// threshold alerts whose level (at the new limit) usage is now below, and its
	// refusal alert if usage is below the limit, are rearmed (see Alert.Arm).
	AdjustQuota(ctx context.Context, params *AdjustQuotaParams) (*AdjustQuotaResult, error)

	// CorrectEvent stores a compensating entry that voids or amends a stored event,
	// and applies it to the event's quota row under the row's lock: a sum or count
	// changes by the difference, other aggregations are recomputed from the period's
	// events as corrected. The event itself never changes. The quota's alerts that
	// usage is now below are rearmed, as by AdjustQuota. A correction ID already
	// stored returns that correction with Replayed set. An unknown event fails with
	// ErrNotFound, a voided one with ErrVoided.
	CorrectEvent(ctx context.Context, params *CorrectEventParams) (*CorrectEventResult, error)

	// ListCorrections returns a subject's corrections in storage order, after the
	// sequence number AfterSeq, at most Limit of them.
	ListCorrections(ctx context.Context, params *ListCorrectionsParams) (*ListCorrectionsResult, error)

	// ListUnbilled returns the billing periods that ended by EndedBy, have quota rows
	// and no closed bill.
	ListUnbilled(ctx context.Context, params *ListUnbilledParams) (*ListUnbilledResult, error)

	// GetBill returns what a period's bill is made from, and the closed bill if there
	// is one.
	GetBill(ctx context.Context, params *GetBillParams) (*GetBillResult, error)

	// CloseBill closes a period's bill exactly once across processes: in one
	// transaction it claims the bill (a unique key per subject and period), locks the
	// period's quota rows, reads the bill's data, calls Deliver, and records the bill
	// and its lines. The claim commits with the record; when Deliver fails, or the
	// transaction does, nothing is recorded and the bill stays open. Bills of one
	// subject close one at a time. If the bill is closed already, Deliver is not
	// called and Closed is false.
	CloseBill(ctx context.Context, params *CloseBillParams) (*CloseBillResult, error)

	// InsertForecast stores a forecast record and returns it with its ID.
	InsertForecast(ctx context.Context, params *InsertForecastParams) (*InsertForecastResult, error)

	// ListForecasts returns a subject's latest forecast records, of one metric or of
	// all, newest first (by GeneratedAt, then ID), at most Limit of them.
	ListForecasts(ctx context.Context, params *ListForecastsParams) (*ListForecastsResult, error)

	// RegisterMetrics records the scale of each metric the database does not know
	// yet and returns the scale stored for each: a metric keeps the scale it was
	// registered with first, so the caller can refuse a configuration that would
	// read stored integers at another scale. Metrics that have events or quota rows
	// from before metrics were registered are at scale 6.
	RegisterMetrics(ctx context.Context, params *RegisterMetricsParams) (*RegisterMetricsResult, error)

	// InsertAlerts stores alerts, each with a pending delivery, in one transaction,
	// skipping those whose key (see Alert) is stored already, and returns the new
	// ones with their IDs.
	InsertAlerts(ctx context.Context, params *InsertAlertsParams) (*InsertAlertsResult, error)

	// ListAlerts returns the alerts matching the filters with their deliveries,
	// newest first, before BeforeID, at most Limit of them.
	ListAlerts(ctx context.Context, params *ListAlertsParams) (*ListAlertsResult, error)

	// AcknowledgeAlert records who acknowledged an alert and when, once: acknowledging
	// it again returns it unchanged. An unknown ID (or one of another Subject) fails
	// with an error matching ErrNotFound.
	AcknowledgeAlert(ctx context.Context, params *AcknowledgeAlertParams) (*AcknowledgeAlertResult, error)

	// CountUnacknowledgedAlerts returns how many of a subject's alerts nobody has
	// acknowledged.
	CountUnacknowledgedAlerts(ctx context.Context, params *CountUnacknowledgedAlertsParams) (*CountUnacknowledgedAlertsResult, error)

	// ClaimDeliveries claims up to Limit pending deliveries that are due, for Lease:
	// it counts an attempt on each and moves NextAt to the lease's end, in one
	// transaction, so concurrent claimers (in any process) never claim the same
	// attempt. A claimer that dies leaves its deliveries to be claimed again when
	// the lease ends.
	ClaimDeliveries(ctx context.Context, params *ClaimDeliveriesParams) (*ClaimDeliveriesResult, error)

	// CompleteDelivery records the outcome of a claimed attempt, if the claim still
	// holds (the delivery's Attempts is still Attempt and it is pending).
	CompleteDelivery(ctx context.Context, params *CompleteDeliveryParams) (*CompleteDeliveryResult, error)

	// SetThresholds stores (or, with Remove, deletes) a subject's own alert
	// thresholds for one metric.
	SetThresholds(ctx context.Context, params *SetThresholdsParams) (*SetThresholdsResult, error)

	// ListThresholds returns a subject's own alert thresholds, by metric, or every
	// subject's when Subject is empty.
	ListThresholds(ctx context.Context, params *ListThresholdsParams) (*ListThresholdsResult, error)
	// AcquireLease takes or renews the lease of the job Name for Holder, so that
	// one instance at a time runs it. It succeeds when no instance holds the lease,
	// when Holder does (a renewal), or when the lease expired by Now; the lease then
	// lasts until Now+TTL. Of concurrent calls by different holders, across
	// processes, at most one acquires. The result holds the lease as stored either
	// way, with the last slot the job completed.
	AcquireLease(ctx context.Context, params *AcquireLeaseParams) (*AcquireLeaseResult, error)

	// ReleaseLease gives up Holder's lease of the job Name, recording Completed as
	// the last slot the job completed when it is later than the one stored. If
	// Holder no longer holds the lease, nothing changes and Released is false.
	ReleaseLease(ctx context.Context, params *ReleaseLeaseParams) (*ReleaseLeaseResult, error)

	// DeleteExpired deletes, in one short transaction, at most Limit raw events or
	// hourly rollups of expired billing periods, oldest period first. A period (a
	// quota row: subject, metric and period) is expired for its events when it
	// ended by EventsBefore, for its rollups when it ended by RollupsBefore, and,
	// with Invoiced, only once its bill is closed. Its events are those stored in
	// it; its rollups are the hours lying wholly inside it, so an hour that
	// straddles two periods is kept. Quota rows, bills and corrections are kept.
	// Call it again until Done: each call is bounded, so ingestion goes on beside
	// it.
	DeleteExpired(ctx context.Context, params *DeleteExpiredParams) (*DeleteExpiredResult, error)
	// QueryUsage aggregates a metric's admitted events in each of the given windows,
	// for one subject or all, optionally grouped and filtered by declared
	// dimensions. Whole UTC hours are read from the hourly rollups Ingest keeps;
	// the parts of hours at the bounds of windows that are not whole hours (time
	// zones such as Asia/Kolkata) are read from the events, as is CountDistinct.
	// Corrections show in the rollups' totals and counts (not in their minimum,
	// maximum or latest value); the events read are as tracked.
	QueryUsage(ctx context.Context, params *UsageQueryParams) (*UsageQueryResult, error)

	// ListMetricQuotas lists, for one metric, every subject's quota row whose period
	// contains At, by usage (highest first) or by subject, a page at a time.
	ListMetricQuotas(ctx context.Context, params *ListMetricQuotasParams) (*ListMetricQuotasResult, error)

	// Capabilities states what this backend guarantees where backends differ.
	Capabilities() Capabilities

	// Close releases the backend's resources. It closes the database only when the
	// backend opened it.
	Close() error
}

// Capabilities states the differences between backends instead of hiding them.
type Capabilities struct {
	// Name is the backend's name: "sqlite" or "postgres".
	Name string
	// ConcurrentWriters reports whether several transactions may write at once. SQLite
	// serialises writers (one file lock); Postgres locks rows.
	ConcurrentWriters bool
}
