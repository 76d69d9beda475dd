package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
	"github.com/usagekit/usage/store/sqlite"
)

func TestWritesKeepOneConnectionAndCloseGivesItBack(t *testing.T) {
	ctx := context.Background()
	db := callersDB(t, filepath.Join(t.TempDir(), "usage.db"))
	st, err := sqlite.New(ctx, db)
	require.NoError(t, err)
	require.Zero(t, db.Stats().InUse, "no connection is held before the first write")

	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for i := range 5 {
		p := oneEvent(now)
		p.Events[0].Event.ID = fmt.Sprintf("e%d", i)
		res, err := st.Ingest(ctx, p)
		require.NoError(t, err)
		require.Equal(t, store.StatusInserted, res.Outcomes[0].Status)
		_, err = st.GetQuotas(ctx, &store.GetQuotasParams{Subject: "acme", At: now})
		require.NoError(t, err)
		require.Equal(t, 1, db.Stats().InUse, "after write %d the writers' connection is kept, the reads' given back", i)
	}
	got, err := st.GetQuotas(ctx, &store.GetQuotasParams{Subject: "acme", At: now})
	require.NoError(t, err)
	require.Equal(t, int64(10*store.MicrosPerUnit), got.Quotas[0].Used, "every write committed")

	require.NoError(t, st.Close())
	require.Zero(t, db.Stats().InUse, "Close gives the writers' connection back to the caller's pool")
}
