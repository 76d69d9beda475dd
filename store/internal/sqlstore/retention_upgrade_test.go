package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
)

// Migration 23 adds the tables of maintenance (leases, what retention deleted) to
// a database that already holds events and closed bills. The test takes a database
// back to before it through SQL, opens the store again to migrate it, and checks
// that retention then deletes the old data it finds, and leases work.
func TestRetentionDeletesWhatADatabaseHeldBeforeMaintenanceExisted(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) { retentionDeletesWhatADatabaseHeldBeforeMaintenanceExisted(t, b) })
}

func retentionDeletesWhatADatabaseHeldBeforeMaintenanceExisted(t *testing.T, b testdb.Backend) {
	ctx := context.Background()
	st, loc := b.OpenNew(t)
	october := store.BillPeriod{Subject: "acme", PeriodStart: periodStart.AddDate(0, -1, 0), PeriodEnd: periodStart}
	var events []store.IngestEvent
	for i, p := range []store.BillPeriod{october, {PeriodStart: periodStart, PeriodEnd: periodEnd}} {
		for j := range 2 {
			id := fmt.Sprintf("e%d%d", i, j)
			events = append(events, store.IngestEvent{
				Event: store.Event{Subject: "acme", ID: id, Metric: "m", Value: store.MicrosPerUnit,
					Time: p.PeriodStart.Add(time.Duration(j+1) * time.Hour), Fingerprint: id},
				Quota: store.QuotaSpec{PeriodStart: p.PeriodStart, PeriodEnd: p.PeriodEnd, Aggregation: store.AggregationSum, Unlimited: true},
			})
		}
	}
	_, err := st.Ingest(ctx, &store.IngestParams{Events: events, Now: now})
	require.NoError(t, err)
	_, err = st.CloseBill(ctx, &store.CloseBillParams{Period: october, Now: now,
		Deliver: func(context.Context, *store.BillData) (*store.ClosedBill, error) {
			return &store.ClosedBill{Document: []byte("{}")}, nil
		}})
	require.NoError(t, err)
	db := bunDB(t, st)
	for _, stmt := range []string{"DROP TABLE usage_leases", "DROP TABLE usage_retained",
		"DROP INDEX usage_quotas_period_end", "DELETE FROM usage_schema_migrations WHERE version = 23"} {
		_, err = db.ExecContext(ctx, stmt)
		require.NoError(t, err, stmt)
	}

	st = b.OpenAt(t, loc) // migrates again
	res, err := st.DeleteExpired(ctx, &store.DeleteExpiredParams{EventsBefore: now, RollupsBefore: now, Invoiced: true, Limit: 100, Now: now})
	require.NoError(t, err)
	require.Equal(t, store.DeleteExpiredResult{Events: 2, Rollups: 2, Done: true}, *res, "October's events and hours")
	left, err := st.ListEvents(ctx, &store.ListEventsParams{Subject: "acme", Limit: 10})
	require.NoError(t, err)
	require.Len(t, left.Events, 2, "November's events")
	lease, err := st.AcquireLease(ctx, &store.AcquireLeaseParams{Name: "job", Holder: "a", Now: now, TTL: time.Minute})
	require.NoError(t, err)
	require.True(t, lease.Acquired)
}
