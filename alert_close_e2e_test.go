package usage_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
)

// TestCloseStopsDeliveriesInProgressAndLeavesNoGoroutines runs alone: its leak
// check must see only its own goroutines.
func TestCloseStopsDeliveriesInProgressAndLeavesNoGoroutines(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db testdb.Backend) {
		ctx := context.Background()
		loc := db.NewDatabase(t)
		leaks := goleak.IgnoreCurrent()
		st, err := db.Open(ctx, loc)
		require.NoError(t, err)
		notifying := make(chan struct{}, 1)
		stuck := usage.NotifierFunc(func(ctx context.Context, _ usage.Notification) error {
			notifying <- struct{}{}
			<-ctx.Done()
			return ctx.Err()
		})
		m, err := usage.New(st, deliveringConfig(time.Now, map[string]usage.Notifier{"stuck": stuck}))
		require.NoError(t, err)
		credits(t, m, "acme", "a", 850)
		<-notifying
		closeCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		require.NoError(t, m.Close(closeCtx), "Close cancels the attempt in progress and returns")
		require.NoError(t, st.Close())
		goleak.VerifyNone(t, leaks)
	})
}
