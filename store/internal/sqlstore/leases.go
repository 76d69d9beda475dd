package sqlstore

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

type leaseRow struct {
	Name      string `bun:"name"`
	Holder    string `bun:"holder"`
	ExpiresAt int64  `bun:"expires_at"`
	Completed int64  `bun:"completed"`
}

func (r leaseRow) lease() store.Lease {
	return store.Lease{Name: r.Name, Holder: r.Holder, ExpiresAt: fromMicros(r.ExpiresAt), Completed: fromMicros(r.Completed)}
}

// AcquireLease takes or renews a job's lease; see store.Store. One upsert decides
// it: the row is locked by the conflict, so of racing holders one wins, on both
// backends, and a losing holder reads the winner's row.
func (s *engine) AcquireLease(ctx context.Context, params *store.AcquireLeaseParams) (*store.AcquireLeaseResult, error) {
	now := micros(params.Now)
	expires := micros(params.Now.Add(params.TTL))
	var rows []leaseRow
	err := s.inWriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewRaw(`INSERT INTO usage_leases (name, holder, expires_at, completed) VALUES (?, ?, ?, 0)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
			WHERE usage_leases.holder = excluded.holder OR usage_leases.expires_at <= ?
			RETURNING name, holder, expires_at, completed`, params.Name, params.Holder, expires, now).Scan(ctx, &rows); err != nil {
			return err
		}
		if len(rows) == 0 {
			return tx.NewRaw(`SELECT name, holder, expires_at, completed FROM usage_leases WHERE name = ?`, params.Name).Scan(ctx, &rows)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("acquire lease %q: %w", params.Name, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("acquire lease %q: the row is missing", params.Name)
	}
	return &store.AcquireLeaseResult{Acquired: rows[0].Holder == params.Holder, Lease: rows[0].lease()}, nil
}

// ReleaseLease gives up a job's lease; see store.Store.
func (s *engine) ReleaseLease(ctx context.Context, params *store.ReleaseLeaseParams) (*store.ReleaseLeaseResult, error) {
	completed := micros(params.Completed)
	var n int64
	err := s.inWriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE usage_leases SET holder = '', expires_at = 0,
			completed = CASE WHEN completed < ? THEN ? ELSE completed END
			WHERE name = ? AND holder = ?`, completed, completed, params.Name, params.Holder)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("release lease %q: %w", params.Name, err)
	}
	return &store.ReleaseLeaseResult{Released: n == 1}, nil
}
