// Package usage meters the usage of a SaaS service per tenant and user, enforces plan
// quotas exactly and keeps the record billing needs — embedded in the service, with no
// server of its own.
//
// A service opens a store (store/sqlite for one process or a few sharing a file,
// store/postgres for many instances), describes its metrics and plans in a Config,
// and creates one Meter:
//
//	st, err := sqlite.Open(ctx, "usage.db")
//	m, err := usage.New(st, &usage.Config{Metrics: usage.ExampleMetrics(), Plans: usage.ExamplePlans()})
//	defer m.Close(ctx)
//	err = m.Assign(ctx, usage.Assignment{Subject: "acme", Plan: "basic", TimeZone: "Europe/Lisbon"})
//	res, err := m.Track(ctx, usage.Event{ID: requestID, Subject: "acme", Metric: "api_calls", Value: 1})
//	q, err := m.CheckQuota(ctx, "acme", "documents", 1)
//
// Track returns only after the event is committed, is idempotent by subject and event
// ID, and refuses an event that would take a quota without overage past its limit
// (*QuotaExceededError) with nothing recorded — exactly, under any concurrency and
// across processes sharing the database. Quantities are exact decimals with six
// fractional digits (Quantity). Billing periods are calendar months or anniversary
// months in the subject's time zone (PeriodAt); a new period starts from zero by
// construction, with no reset job.
package usage
