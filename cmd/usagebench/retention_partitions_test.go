package main

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
)

// TestPartitionedLayoutKeepsIdempotencyGlobal converts a fresh Postgres schema to
// the partitioned layout and checks, through Meters on the real store, that an
// event ID stored in one month is still refused or replayed when tracked in
// another, that retention drops exactly the expired, invoiced months with their
// keys, and that without the key table's trigger the same ID would have been
// stored twice.
func TestPartitionedLayoutKeepsIdempotencyGlobal(t *testing.T) {
	ctx := context.Background()
	st, dsn := testdb.Postgres().OpenNew(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	plainIndexes := indexColumns(t, db)
	now := time.Now().UTC()
	if err := partitionEvents(ctx, db, expiredMonth(now), now.AddDate(0, 1, 0)); err != nil {
		t.Fatal(err)
	}
	if err := partitionEvents(ctx, db, expiredMonth(now), now); err == nil || !strings.Contains(err.Error(), "no unique index") {
		t.Fatalf("converting again: got %v, want the refusal of a table without the plain key", err)
	}
	// The same indexes, none unique: the key table keeps the key.
	var want []string
	for _, ix := range plainIndexes {
		want = append(want, strings.TrimPrefix(ix, "unique "))
	}
	if got := indexColumns(t, db); !slices.Equal(got, want) {
		t.Fatalf("indexes of the partitioned table: %q, want %q", got, want)
	}

	meterOn := func(st store.Store) *usage.Meter {
		m, err := usage.New(st, &usage.Config{
			Metrics:     []usage.Metric{{Key: "api_calls", Unit: "calls"}},
			Plans:       []usage.Plan{{Key: "p", Limits: map[string]usage.Limit{"api_calls": {Included: 1e9}}}},
			DefaultPlan: "p",
			MaxLateness: 60 * 24 * time.Hour,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close(ctx) })
		return m
	}
	newMeter := func() *usage.Meter { return meterOn(st) }
	earlier := usage.Event{ID: "e1", Subject: "acme", Metric: "api_calls", Value: 1, Time: now.Add(-40 * 24 * time.Hour)}
	if _, err := newMeter().Track(ctx, earlier); err != nil {
		t.Fatal(err)
	}
	// A Meter of its own for each call, so that the store decides, not memory.
	later := earlier
	later.Time = now
	if _, err := newMeter().Track(ctx, later); !errors.Is(err, usage.ErrEventConflict) {
		t.Fatalf("the ID again in this month: got %v, want ErrEventConflict", err)
	}
	if res, err := newMeter().Track(ctx, earlier); err != nil || !res.Replayed {
		t.Fatalf("the same event again: replayed %v, %v; want a replay", res.Replayed, err)
	}
	if got := eventPartitionsOf(t, db, "acme", "e1"); !slices.Equal(got, []string{partitionName(monthOf(earlier.Time))}) {
		t.Fatalf("e1 stored in %v, want once in the month of its time", got)
	}

	// One new event sent at once by 4 Meters × 16 goroutines is stored once.
	meters := []*usage.Meter{newMeter(), newMeter(), newMeter(), newMeter()}
	var stored atomic.Int64
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			res, err := meters[i%len(meters)].Track(ctx, usage.Event{ID: "e2", Subject: "acme", Metric: "api_calls", Value: 1, Time: now})
			if err != nil {
				t.Errorf("track e2: %v", err)
			} else if !res.Replayed {
				stored.Add(1)
			}
		})
	}
	wg.Wait()
	if got := eventPartitionsOf(t, db, "acme", "e2"); len(got) != 1 || stored.Load() != 1 {
		t.Fatalf("e2 sent 64 times at once: %d rows, %d calls not replayed; want 1 and 1", len(got), stored.Load())
	}

	// An invoiced month two years back, and an uninvoiced period 20 months back.
	if err := storeExpired(ctx, st, retentionParams{oldEvents: 10, subjects: 2}); err != nil {
		t.Fatal(err)
	}
	open := monthOf(now.AddDate(0, -20, 0))
	_, err = st.Ingest(ctx, &store.IngestParams{Now: now, Events: []store.IngestEvent{{
		Event: store.Event{Subject: "acme", ID: "uninvoiced", Metric: "api_calls", Value: store.MicrosPerUnit, Time: open, Fingerprint: "x"},
		Quota: store.QuotaSpec{PeriodStart: open, PeriodEnd: open.AddDate(0, 1, 0), Aggregation: store.AggregationSum, Unlimited: true},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	partitions, err := eventPartitions(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	drop, err := dropExpiredPartitions(ctx, db, now.Add(-usage.DefaultEventRetention), 3)
	if err != nil {
		t.Fatal(err)
	}
	// Every month up to the cutoff but the uninvoiced one goes; 10 events had keys.
	expired := 0
	for m := expiredMonth(now); !m.AddDate(0, 1, 0).After(now.Add(-usage.DefaultEventRetention)); m = m.AddDate(0, 1, 0) {
		expired++
	}
	if drop.partitions != expired-1 || drop.kept != 1 || drop.keys != 10 {
		t.Fatalf("dropped %d partitions, kept %d, deleted %d keys; want %d, 1, 10", drop.partitions, drop.kept, drop.keys, expired-1)
	}
	left, err := eventPartitions(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != len(partitions)-drop.partitions || !slices.Contains(left, partitionName(open)) {
		t.Fatalf("partitions left: %v", left)
	}
	var oldKeys, keys int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FILTER (WHERE event_id LIKE 'old%'), count(*) FROM "+keyTable).Scan(&oldKeys, &keys); err != nil {
		t.Fatal(err)
	}
	if oldKeys != 0 || keys != 3 {
		t.Fatalf("keys left: %d of dropped events, %d in all; want 0 and 3 (e1, e2, uninvoiced)", oldKeys, keys)
	}

	// The control: without the trigger, the partitioned table's own unique index
	// lets the ID in again in another month. The store is another one, which did
	// not store e1 and so does not read it first: the insert decides.
	if _, err := db.ExecContext(ctx, "ALTER TABLE usage_events DISABLE TRIGGER usage_events_keep_keys"); err != nil {
		t.Fatal(err)
	}
	if _, err := meterOn(testdb.Postgres().OpenAt(t, dsn)).Track(ctx, later); err != nil {
		t.Fatalf("without the trigger: %v", err)
	}
	if got := eventPartitionsOf(t, db, "acme", "e1"); len(got) != 2 {
		t.Fatalf("without the trigger e1 is in %v, want two months", got)
	}
}

// indexColumns describes usage_events' indexes as "[unique ]name: columns".
func indexColumns(t *testing.T, db *sql.DB) []string {
	t.Helper()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	indexes, err := eventIndexes(context.Background(), tx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ix := range indexes {
		s := ix.name + ": " + strings.Join(ix.columns, ", ")
		if ix.unique {
			s = "unique " + s
		}
		out = append(out, s)
	}
	return out
}

// eventPartitionsOf lists the partitions that hold a row of the subject and ID.
func eventPartitionsOf(t *testing.T, db *sql.DB, subject, id string) []string {
	t.Helper()
	rows, err := db.Query("SELECT tableoid::regclass::text FROM usage_events WHERE subject = $1 AND event_id = $2 ORDER BY at", subject, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
