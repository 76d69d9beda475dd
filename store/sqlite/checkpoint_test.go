package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/usagekit/usage/store"
	"github.com/usagekit/usage/store/sqlite"
)

// The Store copies committed pages from the WAL into the database file beside its
// writes, long before the writer's own checkpoint at wal_autocheckpoint pages:
// the file grows with the events while the Store is open, and Close stops it.
func TestTheStoreCheckpointsBesideItsWrites(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "usage.db")
	st, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	fileSize := func() int64 {
		info, err := os.Stat(path)
		require.NoError(t, err)
		return info.Size()
	}
	// What the schema can add to the file is far less than the events' pages.
	before := fileSize()
	const grown = 2 << 20

	now := time.Now()
	for batch := range 10 {
		params := &store.IngestParams{Now: now}
		for i := range 2000 {
			ev := oneEvent(now).Events[0]
			ev.Event.ID = fmt.Sprint("e", batch, "-", i)
			ev.Event.Subject = fmt.Sprint("subject-", i%500)
			params.Events = append(params.Events, ev)
		}
		_, err = st.Ingest(ctx, params)
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return fileSize() > before+grown }, 5*time.Second, 10*time.Millisecond,
		"the events' pages are still in the WAL (%d bytes)", walSize(t, path))

	require.NoError(t, st.Close())
	goleak.VerifyNone(t, leaks)
}

// walSize is the size of the WAL file of the database at path, zero if there is
// none.
func walSize(t *testing.T, path string) int64 {
	t.Helper()
	info, err := os.Stat(path + "-wal")
	if os.IsNotExist(err) {
		return 0
	}
	require.NoError(t, err)
	return info.Size()
}
