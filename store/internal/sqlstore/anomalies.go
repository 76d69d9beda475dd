package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// anomalyRow is a row of usage_anomalies. Reasons are kept as a JSON array.
type anomalyRow struct {
	bun.BaseModel `bun:"table:usage_anomalies"`

	ID           int64   `bun:"id,pk,autoincrement"`
	Subject      string  `bun:"subject"`
	Metric       string  `bun:"metric"`
	At           int64   `bun:"at"`
	Method       string  `bun:"method"`
	Value        float64 `bun:"value"`
	Expected     float64 `bun:"expected"`
	Score        float64 `bun:"score"`
	Risk         float64 `bun:"risk"`
	FraudSuspect bool    `bun:"fraud_suspect"`
	Status       string  `bun:"status"`
	Reasons      string  `bun:"reasons"`
	Note         string  `bun:"note"`
	CreatedAt    int64   `bun:"created_at"`
	UpdatedAt    int64   `bun:"updated_at"`
}

// anomalyKey is the unique key of an anomaly record.
type anomalyKey struct {
	subject, metric string
	at              int64
	method          string
}

func newAnomalyRow(a store.Anomaly) (anomalyRow, error) {
	reasons := a.Reasons
	if reasons == nil {
		reasons = []store.AnomalyReason{}
	}
	b, err := json.Marshal(reasons)
	if err != nil {
		return anomalyRow{}, fmt.Errorf("anomaly reasons: %w", err)
	}
	updated := a.UpdatedAt
	if updated.IsZero() {
		updated = a.CreatedAt
	}
	return anomalyRow{
		Subject: a.Subject, Metric: a.Metric, At: micros(a.At), Method: a.Method,
		Value: a.Value, Expected: a.Expected, Score: a.Score, Risk: float64(a.Risk),
		FraudSuspect: a.FraudSuspect, Status: a.Status, Reasons: string(b), Note: a.Note,
		CreatedAt: micros(a.CreatedAt), UpdatedAt: micros(updated),
	}, nil
}

func (r anomalyRow) key() anomalyKey { return anomalyKey{r.Subject, r.Metric, r.At, r.Method} }

func (r anomalyRow) anomaly() (store.Anomaly, error) {
	var reasons []store.AnomalyReason
	if err := json.Unmarshal([]byte(r.Reasons), &reasons); err != nil {
		return store.Anomaly{}, fmt.Errorf("anomaly %d reasons: %w", r.ID, err)
	}
	if len(reasons) == 0 {
		reasons = nil
	}
	return store.Anomaly{
		ID: r.ID, Subject: r.Subject, Metric: r.Metric, At: fromMicros(r.At), Method: r.Method,
		Value: r.Value, Expected: r.Expected, Score: r.Score, Risk: int(r.Risk),
		FraudSuspect: r.FraudSuspect, Reasons: reasons, Status: r.Status, Note: r.Note,
		CreatedAt: fromMicros(r.CreatedAt), UpdatedAt: fromMicros(r.UpdatedAt),
	}, nil
}

func checkStatus(status string) error {
	if !store.ValidAnomalyStatus(status) {
		return fmt.Errorf("%w %q", store.ErrInvalidStatus, status)
	}
	return nil
}

// InsertAnomalies does the work of Store.InsertAnomalies.
func (s *engine) InsertAnomalies(ctx context.Context, params *store.InsertAnomaliesParams) (*store.InsertAnomaliesResult, error) {
	out := &store.InsertAnomaliesResult{}
	if len(params.Anomalies) == 0 {
		return out, nil
	}
	rows := make([]anomalyRow, len(params.Anomalies))
	for i, a := range params.Anomalies {
		if err := checkStatus(a.Status); err != nil {
			return nil, fmt.Errorf("insert anomalies: %w", err)
		}
		row, err := newAnomalyRow(a)
		if err != nil {
			return nil, fmt.Errorf("insert anomalies: %w", err)
		}
		rows[i] = row
	}
	ids := make(map[anomalyKey]int64, len(rows))
	err := s.inWriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		clear(ids) // a retried transaction starts over
		for chunk := range slices.Chunk(rows, chunkSize) {
			var returned []anomalyRow
			if err := tx.NewInsert().Model(&chunk).ExcludeColumn("id").
				On("CONFLICT (subject, metric, at, method) DO NOTHING").
				Returning("id, subject, metric, at, method").Scan(ctx, &returned); err != nil {
				return err
			}
			for _, r := range returned {
				ids[r.key()] = r.ID
			}
		}
		return raiseFraudAlerts(ctx, tx, rows, ids)
	})
	if err != nil {
		return nil, fmt.Errorf("insert anomalies: %w", err)
	}
	for i, r := range rows {
		// A key given twice in one call is stored once, for its first occurrence.
		if id, ok := ids[r.key()]; ok {
			delete(ids, r.key())
			a := params.Anomalies[i]
			a.ID, a.At, a.CreatedAt = id, fromMicros(r.At), fromMicros(r.CreatedAt)
			a.UpdatedAt = fromMicros(r.UpdatedAt)
			out.Inserted = append(out.Inserted, a)
		}
	}
	return out, nil
}

// ListAnomalies does the work of Store.ListAnomalies.
func (s *engine) ListAnomalies(ctx context.Context, params *store.ListAnomaliesParams) (*store.ListAnomaliesResult, error) {
	if params.Status != "" {
		if err := checkStatus(params.Status); err != nil {
			return nil, fmt.Errorf("list anomalies: %w", err)
		}
	}
	limit := listLimit(params.Limit, defaultListLimit)
	var rows []anomalyRow
	q := s.db.NewSelect().Model(&rows).Where("id > ?", params.AfterID)
	for _, f := range [...]struct{ col, value string }{{"subject", params.Subject},
		{"metric", params.Metric}, {"method", params.Method}, {"status", params.Status}} {
		if f.value != "" {
			q = q.Where("? = ?", bun.Ident(f.col), f.value)
		}
	}
	if !params.From.IsZero() {
		q = q.Where("at >= ?", micros(params.From))
	}
	if !params.To.IsZero() {
		q = q.Where("at < ?", micros(params.To))
	}
	if err := q.Order("id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list anomalies: %w", err)
	}
	out := &store.ListAnomaliesResult{Anomalies: make([]store.Anomaly, len(rows))}
	for i, r := range rows {
		a, err := r.anomaly()
		if err != nil {
			return nil, fmt.Errorf("list anomalies: %w", err)
		}
		out.Anomalies[i] = a
	}
	return out, nil
}

// SetAnomalyStatus does the work of Store.SetAnomalyStatus.
func (s *engine) SetAnomalyStatus(ctx context.Context, params *store.SetAnomalyStatusParams) (*store.SetAnomalyStatusResult, error) {
	if err := checkStatus(params.Status); err != nil {
		return nil, fmt.Errorf("set status of anomaly %d: %w", params.ID, err)
	}
	var row anomalyRow
	err := s.inWriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*anomalyRow)(nil)).
			Set("status = ?", params.Status).Set("note = ?", params.Note).
			Set("updated_at = ?", micros(params.Now)).
			Where("id = ?", params.ID).Exec(ctx)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return store.ErrNotFound
		}
		return tx.NewSelect().Model(&row).Where("id = ?", params.ID).Scan(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("set status of anomaly %d: %w", params.ID, err)
	}
	a, err := row.anomaly()
	if err != nil {
		return nil, err
	}
	return &store.SetAnomalyStatusResult{Anomaly: a}, nil
}
