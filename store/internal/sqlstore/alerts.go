package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// alertRow is a row of usage_alerts.
type alertRow struct {
	bun.BaseModel `bun:"table:usage_alerts"`

	ID             int64  `bun:"id,pk,autoincrement"`
	Kind           string `bun:"kind"`
	Severity       string `bun:"severity"`
	Subject        string `bun:"subject"`
	Metric         string `bun:"metric"`
	Threshold      int64  `bun:"threshold"`
	Ref            int64  `bun:"ref"`
	Arm            int64  `bun:"arm"`
	Used           int64  `bun:"used"`
	Limit          int64  `bun:"quota_limit"`
	PeriodStart    int64  `bun:"period_start"`
	PeriodEnd      int64  `bun:"period_end"`
	Message        string `bun:"message"`
	CreatedAt      int64  `bun:"created_at"`
	AcknowledgedAt int64  `bun:"acknowledged_at"`
	AcknowledgedBy string `bun:"acknowledged_by"`
}

// deliveryRow is a row of usage_alert_deliveries. DeliveredTo is a JSON array.
type deliveryRow struct {
	bun.BaseModel `bun:"table:usage_alert_deliveries"`

	ID          int64  `bun:"id,pk,autoincrement"`
	AlertID     int64  `bun:"alert_id"`
	State       string `bun:"state"`
	Attempts    int    `bun:"attempts"`
	NextAt      int64  `bun:"next_at"`
	DeliveredTo string `bun:"delivered_to"`
	LastError   string `bun:"last_error"`
	CreatedAt   int64  `bun:"created_at"`
	UpdatedAt   int64  `bun:"updated_at"`
}

// alertView is an alert read with its delivery.
type alertView struct {
	alertRow `bun:",extend"`

	DeliveryID          int64  `bun:"delivery_id"`
	DeliveryState       string `bun:"delivery_state"`
	DeliveryAttempts    int    `bun:"delivery_attempts"`
	DeliveryNextAt      int64  `bun:"delivery_next_at"`
	DeliveryDeliveredTo string `bun:"delivery_delivered_to"`
	DeliveryLastError   string `bun:"delivery_last_error"`
	DeliveryUpdatedAt   int64  `bun:"delivery_updated_at"`
}

// selectAlerts starts a query of alertViews.
func selectAlerts(db bun.IDB, rows *[]alertView) *bun.SelectQuery {
	return db.NewSelect().Model(rows).ModelTableExpr("usage_alerts AS a").
		Join("JOIN usage_alert_deliveries AS d ON d.alert_id = a.id").
		ColumnExpr("a.*").
		ColumnExpr("d.id AS delivery_id, d.state AS delivery_state, d.attempts AS delivery_attempts").
		ColumnExpr("d.next_at AS delivery_next_at, d.delivered_to AS delivery_delivered_to").
		ColumnExpr("d.last_error AS delivery_last_error, d.updated_at AS delivery_updated_at")
}

func newAlertRow(a store.Alert) alertRow {
	return alertRow{
		Kind: a.Kind, Severity: a.Severity, Subject: a.Subject, Metric: a.Metric,
		Threshold: a.Threshold, Ref: a.Ref, Used: a.Used, Limit: a.Limit,
		PeriodStart: micros(a.PeriodStart), PeriodEnd: micros(a.PeriodEnd),
		Message: a.Message, CreatedAt: micros(a.CreatedAt),
	}
}

func (r alertRow) alert() store.Alert {
	return store.Alert{
		ID: r.ID, Kind: r.Kind, Severity: r.Severity, Subject: r.Subject, Metric: r.Metric,
		Threshold: r.Threshold, Ref: r.Ref, Arm: r.Arm, Used: r.Used, Limit: r.Limit,
		PeriodStart: fromMicros(r.PeriodStart), PeriodEnd: fromMicros(r.PeriodEnd),
		Message: r.Message, CreatedAt: fromMicros(r.CreatedAt),
		AcknowledgedAt: fromMicros(r.AcknowledgedAt), AcknowledgedBy: r.AcknowledgedBy,
	}
}

func (v alertView) alert() (store.Alert, error) {
	a := v.alertRow.alert()
	var to []string
	if v.DeliveryDeliveredTo != "" {
		if err := json.Unmarshal([]byte(v.DeliveryDeliveredTo), &to); err != nil {
			return store.Alert{}, fmt.Errorf("alert %d: delivered_to: %w", v.ID, err)
		}
	}
	a.Delivery = store.Delivery{
		ID: v.DeliveryID, State: v.DeliveryState, Attempts: v.DeliveryAttempts,
		NextAt: fromMicros(v.DeliveryNextAt), DeliveredTo: to, LastError: v.DeliveryLastError,
		UpdatedAt: fromMicros(v.DeliveryUpdatedAt),
	}
	return a, nil
}

func alertViews(rows []alertView) ([]store.Alert, error) {
	out := make([]store.Alert, len(rows))
	for i, r := range rows {
		a, err := r.alert()
		if err != nil {
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

// raiseAlert returns the two statements that store an alert and its pending
// delivery unless the alert's key is stored already: every writer of alerts (Ingest
// among them, which sends its statements as text) raises alerts through it. The
// delivery finds its alert by the key, as the statement cannot know the alert's ID.
func raiseAlert(db bun.IDB, r *alertRow) [2]string {
	insert := db.NewInsert().Model(r).ExcludeColumn("id", "arm", "acknowledged_at", "acknowledged_by").
		On("CONFLICT (subject, metric, kind, threshold, period_start, ref, arm) DO NOTHING").String()
	// The WHERE also keeps SQLite from reading ON CONFLICT as a join's ON.
	sel := db.NewSelect().TableExpr("usage_alerts").
		ColumnExpr("id, ?, ?, ?, ?", store.DeliveryPending, r.CreatedAt, r.CreatedAt, r.CreatedAt).
		Where("subject = ?", r.Subject).Where("metric = ?", r.Metric).Where("kind = ?", r.Kind).
		Where("threshold = ?", r.Threshold).Where("period_start = ?", r.PeriodStart).
		Where("ref = ?", r.Ref).Where("arm = 0").String()
	return [2]string{insert, "INSERT INTO usage_alert_deliveries (alert_id, state, next_at, created_at, updated_at) " +
		sel + " ON CONFLICT (alert_id) DO NOTHING"}
}

// InsertAlerts does the work of Store.InsertAlerts.
func (s *engine) InsertAlerts(ctx context.Context, params *store.InsertAlertsParams) (*store.InsertAlertsResult, error) {
	out := &store.InsertAlertsResult{}
	if len(params.Alerts) == 0 {
		return out, nil
	}
	err := s.inWriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		out.Inserted = out.Inserted[:0] // a retried transaction starts over
		for _, a := range params.Alerts {
			a.CreatedAt = params.Now
			r := newAlertRow(a)
			stmts := raiseAlert(tx, &r)
			res, err := tx.ExecContext(ctx, stmts[0])
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				continue
			}
			if _, err := tx.ExecContext(ctx, stmts[1]); err != nil {
				return err
			}
			var rows []alertView
			if err := selectAlerts(tx, &rows).Where("a.subject = ? AND a.metric = ? AND a.kind = ? AND a.threshold = ? AND a.period_start = ? AND a.ref = ? AND a.arm = 0",
				r.Subject, r.Metric, r.Kind, r.Threshold, r.PeriodStart, r.Ref).Scan(ctx); err != nil {
				return err
			}
			got, err := alertViews(rows)
			if err != nil {
				return err
			}
			out.Inserted = append(out.Inserted, got...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("insert alerts: %w", err)
	}
	return out, nil
}

// ListAlerts does the work of Store.ListAlerts.
func (s *engine) ListAlerts(ctx context.Context, params *store.ListAlertsParams) (*store.ListAlertsResult, error) {
	var rows []alertView
	q := selectAlerts(s.db, &rows)
	for _, f := range [...]struct{ col, value string }{{"a.subject", params.Subject},
		{"a.metric", params.Metric}, {"a.kind", params.Kind}, {"a.severity", params.Severity}} {
		if f.value != "" {
			q = q.Where("? = ?", bun.Ident(f.col), f.value)
		}
	}
	if params.BeforeID > 0 {
		q = q.Where("a.id < ?", params.BeforeID)
	}
	if params.Acknowledged != nil {
		if *params.Acknowledged {
			q = q.Where("a.acknowledged_at <> 0")
		} else {
			q = q.Where("a.acknowledged_at = 0")
		}
	}
	if !params.From.IsZero() {
		q = q.Where("a.created_at >= ?", micros(params.From))
	}
	if !params.To.IsZero() {
		q = q.Where("a.created_at < ?", micros(params.To))
	}
	if err := q.OrderExpr("a.id DESC").Limit(int64(listLimit(params.Limit, defaultListLimit))).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	alerts, err := alertViews(rows)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	return &store.ListAlertsResult{Alerts: alerts}, nil
}

// AcknowledgeAlert does the work of Store.AcknowledgeAlert.
func (s *engine) AcknowledgeAlert(ctx context.Context, params *store.AcknowledgeAlertParams) (*store.AcknowledgeAlertResult, error) {
	var rows []alertView
	err := s.inWriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// Only the first acknowledgement is recorded: a second changes nothing.
		q := tx.NewUpdate().Model((*alertRow)(nil)).
			Set("acknowledged_at = ?", micros(params.At)).Set("acknowledged_by = ?", params.By).
			Where("id = ?", params.ID).Where("acknowledged_at = 0")
		if params.Subject != "" {
			q = q.Where("subject = ?", params.Subject)
		}
		if _, err := q.Exec(ctx); err != nil {
			return err
		}
		rows = rows[:0]
		return selectAlerts(tx, &rows).Where("a.id = ?", params.ID).Scan(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("acknowledge alert %d: %w", params.ID, err)
	}
	if len(rows) == 0 || (params.Subject != "" && rows[0].Subject != params.Subject) {
		return nil, fmt.Errorf("acknowledge alert %d: %w", params.ID, store.ErrNotFound)
	}
	a, err := rows[0].alert()
	if err != nil {
		return nil, err
	}
	return &store.AcknowledgeAlertResult{Alert: a}, nil
}

// CountUnacknowledgedAlerts does the work of Store.CountUnacknowledgedAlerts.
func (s *engine) CountUnacknowledgedAlerts(ctx context.Context, params *store.CountUnacknowledgedAlertsParams) (*store.CountUnacknowledgedAlertsResult, error) {
	n, err := s.db.NewSelect().Model((*alertRow)(nil)).
		Where("subject = ?", params.Subject).Where("acknowledged_at = 0").Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("count unacknowledged alerts: %w", err)
	}
	return &store.CountUnacknowledgedAlertsResult{Count: int64(n)}, nil
}
