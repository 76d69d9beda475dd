package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// partitionDrop is what dropExpiredPartitions did, and how long each step took.
type partitionDrop struct {
	partitions, kept       int // partitions dropped, and expired ones kept for a period not deletable yet
	keys                   int // keys deleted: one per event of the dropped partitions
	detach, keysTook, drop time.Duration
}

// dropExpiredPartitions is retention in the partitioned layout (see
// partitionEvents): every month partition of usage_events that ends by before,
// and whose events all belong to periods that ended by before and are invoiced,
// is detached, its events' keys are deleted from the key table in batches of at
// most batch rows, each followed by a rest as long as it took (as
// Meter.ApplyRetention paces its deletes), and the partition is dropped.
//
// The partition is detached first: from then on no read sees its events, while a
// new event with one of their IDs is still refused until the key is deleted.
// Deleting the keys first would let such an event be stored beside the old one.
func dropExpiredPartitions(ctx context.Context, db *sql.DB, before time.Time, batch int) (partitionDrop, error) {
	var res partitionDrop
	if batch < 1 {
		return res, fmt.Errorf("drop partitions: batch must be positive")
	}
	names, err := eventPartitions(ctx, db)
	if err != nil {
		return res, err
	}
	for _, name := range names {
		month, err := time.Parse("200601", strings.TrimPrefix(name, partitionPrefix))
		if err != nil {
			return res, fmt.Errorf("drop partitions: partition %s: %w", name, err)
		}
		end := month.AddDate(0, 1, 0)
		if end.After(before) {
			continue
		}
		// The same rule as the store's retention: only periods that ended by
		// before, and whose bill is closed.
		var open int
		err = db.QueryRowContext(ctx, `SELECT count(*) FROM usage_quotas q
			WHERE q.period_start < $1 AND q.period_end > $2 AND (q.period_end > $3
				OR NOT EXISTS (SELECT 1 FROM usage_bills b WHERE b.subject = q.subject AND b.period_start = q.period_start))`,
			end.UnixMicro(), month.UnixMicro(), before.UnixMicro()).Scan(&open)
		if err != nil {
			return res, fmt.Errorf("drop partitions: periods of %s: %w", name, err)
		}
		if open > 0 {
			res.kept++
			continue
		}
		quoted := pgx.Identifier{name}.Sanitize()
		t0 := time.Now()
		// CONCURRENTLY takes only a SHARE UPDATE EXCLUSIVE lock on usage_events, which
		// ingestion's inserts do not wait for; it cannot run in a transaction.
		if _, err := db.ExecContext(ctx, "ALTER TABLE usage_events DETACH PARTITION "+quoted+" CONCURRENTLY"); err != nil {
			return res, fmt.Errorf("drop partitions: detach %s: %w", name, err)
		}
		t1 := time.Now()
		n, err := deletePartitionKeys(ctx, db, quoted, batch)
		res.keys += n
		if err != nil {
			return res, err
		}
		t2 := time.Now()
		if _, err := db.ExecContext(ctx, "DROP TABLE "+quoted); err != nil {
			return res, fmt.Errorf("drop partitions: drop %s: %w", name, err)
		}
		res.partitions++
		res.detach += t1.Sub(t0)
		res.keysTook += t2.Sub(t1)
		res.drop += time.Since(t2)
	}
	return res, nil
}

// eventPartitions lists usage_events' partitions, oldest first.
func eventPartitions(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'usage_events'::regclass ORDER BY c.relname`)
	if err != nil {
		return nil, fmt.Errorf("list partitions: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		if !strings.HasPrefix(name, partitionPrefix) {
			return nil, fmt.Errorf("list partitions: %s is not a month partition", name)
		}
		names = append(names, name)
	}
	return names, rows.Err()
}

// deletePartitionKeys deletes from the key table the keys of the events in the
// detached partition, batch keys per transaction, walking the partition's unique
// index in key order.
func deletePartitionKeys(ctx context.Context, db *sql.DB, partition string, batch int) (int, error) {
	deleted := 0
	id, subject := "", ""
	for {
		start := time.Now()
		var n int
		err := db.QueryRowContext(ctx, `WITH b AS (
				SELECT event_id, subject FROM `+partition+` WHERE (event_id, subject) > ($1, $2)
				ORDER BY event_id, subject LIMIT $3),
			d AS (DELETE FROM `+keyTable+` k USING b WHERE k.event_id = b.event_id AND k.subject = b.subject RETURNING 1)
			SELECT (SELECT count(*) FROM d), l.event_id, l.subject
			FROM (SELECT event_id, subject FROM b ORDER BY event_id DESC, subject DESC LIMIT 1) l`,
			id, subject, batch).Scan(&n, &id, &subject)
		if err == sql.ErrNoRows {
			return deleted, nil
		}
		if err != nil {
			return deleted, fmt.Errorf("drop partitions: delete keys of %s: %w", partition, err)
		}
		deleted += n
		rest := time.NewTimer(time.Since(start))
		select {
		case <-ctx.Done():
			rest.Stop()
			return deleted, ctx.Err()
		case <-rest.C:
		}
	}
}
