package retry

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

var errDown = fmt.Errorf("%w: connection refused", store.ErrUnavailable)

func TestTransientFailuresAreRetriedUntilTheCallSucceeds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		calls := 0
		err := Do(t.Context(), func(context.Context) error {
			calls++
			if calls < 5 {
				return errDown
			}
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, 5, calls)
	})
}

func TestPermanentFailuresAreReturnedAtOnce(t *testing.T) {
	permanent := errors.New("syntax error")
	calls := 0
	err := Do(t.Context(), func(context.Context) error { calls++; return permanent })
	require.ErrorIs(t, err, permanent)
	require.False(t, errors.Is(err, store.ErrUnavailable))
	require.Equal(t, 1, calls)
}

func TestWhenTheContextEndsTheErrorMatchesBothUnavailableAndTheContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		start := time.Now()
		calls := 0
		err := Do(ctx, func(context.Context) error { calls++; return errDown })
		require.ErrorIs(t, err, store.ErrUnavailable)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Equal(t, 3*time.Second, time.Since(start), "it waits out the caller's deadline, no longer")
		require.Greater(t, calls, 3)
	})
}

func TestAFailureAfterTheContextEndedKeepsTheEarlierUnavailability(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		calls := 0
		err := Do(ctx, func(ctx context.Context) error {
			calls++
			if calls == 1 {
				return errDown
			}
			cancel()
			return ctx.Err()
		})
		require.ErrorIs(t, err, store.ErrUnavailable)
		require.ErrorIs(t, err, context.Canceled)
	})
}

func TestBackoffGrowsToItsCapWithJitter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var b Backoff
		limit := BaseDelay
		for range 12 {
			start := time.Now()
			require.True(t, b.Wait(nil))
			waited := time.Since(start)
			require.LessOrEqual(t, waited, limit+time.Millisecond)
			require.Greater(t, waited, time.Duration(0))
			limit = min(2*limit, MaxDelay)
		}
		require.Equal(t, MaxDelay, b.delay)
		done := make(chan struct{})
		close(done)
		require.False(t, b.Wait(done), "a closed done ends the wait")
	})
}

func TestAContextThatEndsDuringTheFirstAttemptMeansNoAnswerInTime(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	err := Do(ctx, func(ctx context.Context) error {
		cancel()
		return fmt.Errorf("get subject: %w", ctx.Err())
	})
	require.ErrorIs(t, err, store.ErrUnavailable)
	require.ErrorIs(t, err, context.Canceled)
}

func TestAContextThatHadEndedBeforeTheCallIsTheCallersAlone(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := Do(ctx, func(context.Context) error { t.Fatal("op ran"); return nil })
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, errors.Is(err, store.ErrUnavailable))
}
