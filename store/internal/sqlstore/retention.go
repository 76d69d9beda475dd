package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// expiredPeriod is a quota row's period whose events or rollups retention deletes.
type expiredPeriod struct {
	Subject     string `bun:"subject"`
	Metric      string `bun:"metric"`
	PeriodStart int64  `bun:"period_start"`
	PeriodEnd   int64  `bun:"period_end"`
}

// DeleteExpired deletes one bounded batch of expired events and rollups; see
// store.Store. It works period by period, oldest first, and marks a period once it
// has nothing left, so that later calls do not look at it again. Every row it
// deletes is found through an index (events by series and time, rollups by their
// key), and the batch's size bounds the transaction.
func (s *engine) DeleteExpired(ctx context.Context, params *store.DeleteExpiredParams) (*store.DeleteExpiredResult, error) {
	if params.Limit <= 0 {
		return nil, errors.New("delete expired: Limit must be positive")
	}
	var res store.DeleteExpiredResult
	// What retention deletes of an expired period, each with its cutoff and the
	// column of usage_retained that records it.
	kinds := []struct {
		marked  string
		before  time.Time
		delete  func(ctx context.Context, tx bun.Tx, p expiredPeriod, limit int) (int, error)
		deleted *int
	}{
		{"events_deleted_at", params.EventsBefore, s.deleteEvents, &res.Events},
		{"rollups_deleted_at", params.RollupsBefore, s.deleteRollups, &res.Rollups},
	}
	err := s.inWriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res = store.DeleteExpiredResult{}
		budget := params.Limit
		for _, k := range kinds {
			for budget > 0 {
				p, ok, err := nextExpired(ctx, tx, k.marked, k.before, params.Invoiced)
				if err != nil {
					return err
				}
				if !ok {
					break
				}
				n, err := k.delete(ctx, tx, p, budget)
				if err != nil {
					return err
				}
				*k.deleted += n
				if n == budget {
					budget = 0 // the period may have more: the next call goes on with it
					break
				}
				// A period costs a few statements even when it holds nothing.
				budget -= max(n, 1)
				if err := markDeleted(ctx, tx, k.marked, p, params.Now); err != nil {
					return err
				}
			}
		}
		res.Done = budget > 0
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("delete expired: %w", err)
	}
	return &res, nil
}

// nextExpired returns the oldest period that ended by before, whose kind of rows is
// not marked deleted yet, and, with invoiced, whose bill is closed.
func nextExpired(ctx context.Context, tx bun.Tx, marked string, before time.Time, invoiced bool) (expiredPeriod, bool, error) {
	var rows []expiredPeriod
	q := tx.NewSelect().TableExpr("usage_quotas AS q").
		ColumnExpr("q.subject, q.metric, q.period_start, q.period_end").
		Where("q.period_end <= ?", micros(before)).
		Where("NOT EXISTS (SELECT 1 FROM usage_retained AS r WHERE r.subject = q.subject AND r.metric = q.metric AND r.period_start = q.period_start AND r." + marked + " <> 0)")
	if invoiced {
		q = q.Where("EXISTS (SELECT 1 FROM usage_bills AS b WHERE b.subject = q.subject AND b.period_start = q.period_start)")
	}
	if err := q.OrderExpr("q.period_end, q.subject, q.metric").Limit(1).Scan(ctx, &rows); err != nil {
		return expiredPeriod{}, false, fmt.Errorf("find expired periods: %w", err)
	}
	if len(rows) == 0 {
		return expiredPeriod{}, false, nil
	}
	return rows[0], true, nil
}

// deleteEvents deletes at most limit events stored in period p. Its events lie in
// [start, end) of their series, which the (series, at) index finds; the period's
// start then picks exactly its own. The rows found are deleted by their address:
// a join back on the table's key let a planner misled by stale statistics read the
// period's whole range once per deleted row.
func (s *engine) deleteEvents(ctx context.Context, tx bun.Tx, p expiredPeriod, limit int) (int, error) {
	found := "SELECT " + s.dialect.RowAddress + ` FROM usage_events
		WHERE series = ? AND at >= ? AND at < ? AND subject = ? AND metric = ? AND period_start = ?
		LIMIT ?`
	res, err := tx.ExecContext(ctx, "DELETE FROM usage_events\n\t\tWHERE "+fmt.Sprintf(s.dialect.RowsAt, found),
		seriesOf(p.Subject, p.Metric), p.PeriodStart, p.PeriodEnd, p.Subject, p.Metric, p.PeriodStart, limit)
	if err != nil {
		return 0, fmt.Errorf("delete events of %s/%s: %w", p.Subject, p.Metric, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// deleteRollups deletes at most limit hourly rollups lying wholly inside period p:
// those of dimension values first, then those over all values.
func (s *engine) deleteRollups(ctx context.Context, tx bun.Tx, p expiredPeriod, limit int) (int, error) {
	// The period's quota row may still hold its last hour open.
	if err := s.closeOpenHours(ctx, tx, "subject = ? AND metric = ? AND period_start = ?",
		p.Subject, p.Metric, p.PeriodStart); err != nil {
		return 0, err
	}
	deleted := 0
	for _, table := range []string{rollupTable(true), rollupTable(false)} {
		if deleted == limit {
			break
		}
		last := p.PeriodEnd - hourMicros
		res, err := tx.ExecContext(ctx, `DELETE FROM `+table+`
			WHERE subject = ? AND metric = ? AND granularity = ? AND bucket_start >= ? AND bucket_start <= ?
			AND (subject, metric, granularity, bucket_start, dimensions) IN (
				SELECT subject, metric, granularity, bucket_start, dimensions FROM `+table+`
				WHERE subject = ? AND metric = ? AND granularity = ? AND bucket_start >= ? AND bucket_start <= ?
				LIMIT ?)`, p.Subject, p.Metric, granularityHour, p.PeriodStart, last,
			p.Subject, p.Metric, granularityHour, p.PeriodStart, last, limit-deleted)
		if err != nil {
			return 0, fmt.Errorf("delete rollups of %s/%s: %w", p.Subject, p.Metric, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, err
		}
		deleted += int(n)
	}
	return deleted, nil
}

// markDeleted records that period p has no more rows of the kind whose column is
// marked.
func markDeleted(ctx context.Context, tx bun.Tx, marked string, p expiredPeriod, now time.Time) error {
	at := max(micros(now), 1)
	_, err := tx.ExecContext(ctx, `INSERT INTO usage_retained (subject, metric, period_start, events_deleted_at, rollups_deleted_at)
		VALUES (?, ?, ?, 0, 0) ON CONFLICT (subject, metric, period_start) DO NOTHING`, p.Subject, p.Metric, p.PeriodStart)
	if err != nil {
		return fmt.Errorf("mark %s/%s deleted: %w", p.Subject, p.Metric, err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE usage_retained SET "+marked+" = ? WHERE subject = ? AND metric = ? AND period_start = ?",
		at, p.Subject, p.Metric, p.PeriodStart); err != nil {
		return fmt.Errorf("mark %s/%s deleted: %w", p.Subject, p.Metric, err)
	}
	return nil
}
