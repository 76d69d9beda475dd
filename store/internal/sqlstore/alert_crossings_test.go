package sqlstore

import (
	"fmt"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"

	"github.com/usagekit/usage/store"
)

// BenchmarkAlertCrossings is what thresholds add to the work Ingest does in memory
// for a batch of 100 events over 10 quotas that cross nothing: the comparison the
// batch pays for every quota it changes.
func BenchmarkAlertCrossings(b *testing.B) {
	db := bun.NewDB(nil, sqlitedialect.New())
	levels := []store.AlertLevel{{Threshold: 8000}, {Threshold: 9000}, {Threshold: 10000}}
	now := time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)
	params := &store.IngestParams{Now: now}
	qids := make([]string, 100)
	outcomes := make([]store.Outcome, 100)
	quotas := map[string]store.Quota{}
	for i := range 100 {
		subject := fmt.Sprint("tenant-", i%10)
		qids[i] = quotaID(subject, "api_calls", micros(now))
		params.Events = append(params.Events, store.IngestEvent{
			Event: store.Event{Subject: subject, Metric: "api_calls", Value: store.MicrosPerUnit},
			Quota: store.QuotaSpec{Limit: 1e17, Alerts: levels}})
		outcomes[i] = store.Outcome{Status: store.StatusInserted, UsedBefore: int64(i), UsedAfter: int64(i) + store.MicrosPerUnit}
		quotas[qids[i]] = store.Quota{Subject: subject, Metric: "api_calls", Limit: 1e17, Used: 200 * store.MicrosPerUnit}
	}
	b.ReportAllocs()
	for b.Loop() {
		if stmts := alertCrossings(db, params, qids, outcomes, quotas); len(stmts) != 0 {
			b.Fatal("a crossing")
		}
	}
}
