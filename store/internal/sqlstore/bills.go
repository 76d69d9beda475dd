package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// billRow is a row of usage_bills: a closed bill, or one being closed by the
// transaction that inserted it (its claim).
type billRow struct {
	bun.BaseModel `bun:"table:usage_bills"`

	Subject     string `bun:"subject,pk"`
	PeriodStart int64  `bun:"period_start,pk"`
	PeriodEnd   int64  `bun:"period_end"`
	ClosedAt    int64  `bun:"closed_at"`
	Document    string `bun:"document"`
}

// billLineRow is a row of usage_bill_lines.
type billLineRow struct {
	bun.BaseModel `bun:"table:usage_bill_lines"`

	Subject          string `bun:"subject,pk"`
	BillPeriodStart  int64  `bun:"bill_period_start,pk"`
	Metric           string `bun:"metric,pk"`
	UsagePeriodStart int64  `bun:"usage_period_start,pk"`
	Used             int64  `bun:"used"`
	Amount           string `bun:"amount"`
	Currency         string `bun:"currency"`
}

func (r billLineRow) line() store.BillLine {
	return store.BillLine{Metric: r.Metric, UsagePeriodStart: fromMicros(r.UsagePeriodStart),
		Used: r.Used, Amount: r.Amount, Currency: r.Currency}
}

// billSubjectRow is a row of usage_bill_subjects, updated by every bill closing of
// its subject so that they run one at a time.
type billSubjectRow struct {
	bun.BaseModel `bun:"table:usage_bill_subjects"`

	Subject string `bun:"subject,pk"`
	Closes  int64  `bun:"closes"`
}

// ListUnbilled does the work of Store.ListUnbilled.
func (s *engine) ListUnbilled(ctx context.Context, params *store.ListUnbilledParams) (*store.ListUnbilledResult, error) {
	limit := listLimit(params.Limit, defaultListLimit)
	var rows []struct {
		Subject     string `bun:"subject"`
		PeriodStart int64  `bun:"period_start"`
		PeriodEnd   int64  `bun:"period_end"`
	}
	if err := s.db.NewSelect().TableExpr("usage_quotas AS q").
		ColumnExpr("DISTINCT q.subject, q.period_start, q.period_end").
		Where("q.period_end <= ?", micros(params.EndedBy)).
		Where("NOT EXISTS (SELECT 1 FROM usage_bills AS b WHERE b.subject = q.subject AND b.period_start = q.period_start)").
		OrderExpr("q.period_end, q.subject, q.period_start").
		Limit(int64(limit)).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("list unbilled periods: %w", err)
	}
	out := &store.ListUnbilledResult{Periods: make([]store.BillPeriod, len(rows))}
	for i, r := range rows {
		out.Periods[i] = store.BillPeriod{Subject: r.Subject,
			PeriodStart: fromMicros(r.PeriodStart), PeriodEnd: fromMicros(r.PeriodEnd)}
	}
	return out, nil
}

// GetBill does the work of Store.GetBill.
func (s *engine) GetBill(ctx context.Context, params *store.GetBillParams) (*store.GetBillResult, error) {
	data, err := s.billData(ctx, s.db, params.Period, false)
	if err != nil {
		return nil, fmt.Errorf("get bill of %q: %w", params.Period.Subject, err)
	}
	data.Closed, err = closedBill(ctx, s.db, params.Period)
	if err != nil {
		return nil, fmt.Errorf("get bill of %q: %w", params.Period.Subject, err)
	}
	return &store.GetBillResult{Data: *data}, nil
}

// CloseBill does the work of Store.CloseBill.
func (s *engine) CloseBill(ctx context.Context, params *store.CloseBillParams) (*store.CloseBillResult, error) {
	p := params.Period
	var res *store.CloseBillResult
	err := s.inWriteTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// Bills of one subject close one at a time: each may bill adjustments of the
		// same earlier period.
		sub := billSubjectRow{Subject: p.Subject, Closes: 1}
		if _, err := tx.NewInsert().Model(&sub).
			On("CONFLICT (subject) DO UPDATE").Set("closes = ?TableAlias.closes + 1").
			Exec(ctx); err != nil {
			return fmt.Errorf("lock subject's bills: %w", err)
		}
		claim := billRow{Subject: p.Subject, PeriodStart: micros(p.PeriodStart),
			PeriodEnd: micros(p.PeriodEnd), ClosedAt: micros(params.Now)}
		r, err := tx.NewInsert().Model(&claim).On("CONFLICT (subject, period_start) DO NOTHING").Exec(ctx)
		if err != nil {
			return fmt.Errorf("claim bill: %w", err)
		}
		if n, err := r.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return fmt.Errorf("claim bill: %w", err)
			}
			closed, err := closedBill(ctx, tx, p)
			res = &store.CloseBillResult{Bill: closed}
			return err
		}
		data, err := s.billData(ctx, tx, p, true)
		if err != nil {
			return err
		}
		cb, err := params.Deliver(ctx, data)
		if err != nil {
			return err
		}
		claim.Document = string(cb.Document)
		if _, err := tx.NewUpdate().Model(&claim).Column("document").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("record bill: %w", err)
		}
		if len(cb.Lines) > 0 {
			rows := make([]billLineRow, len(cb.Lines))
			for i, l := range cb.Lines {
				rows[i] = billLineRow{Subject: p.Subject, BillPeriodStart: claim.PeriodStart, Metric: l.Metric,
					UsagePeriodStart: micros(l.UsagePeriodStart), Used: l.Used, Amount: l.Amount, Currency: l.Currency}
			}
			if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
				return fmt.Errorf("record bill lines: %w", err)
			}
		}
		res = &store.CloseBillResult{Closed: true, Bill: &store.Bill{BillPeriod: p,
			ClosedAt: params.Now, Document: cb.Document, Lines: cb.Lines}}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("close bill of %q for %s: %w", p.Subject, p.PeriodStart.Format("2006-01-02"), err)
	}
	return res, nil
}

// billData reads what the bill of period p is made from: its own usage (its quota
// rows locked, with lock) and every earlier billed period of the subject.
func (s *engine) billData(ctx context.Context, db bun.IDB, p store.BillPeriod, lock bool) (*store.BillData, error) {
	own, err := s.periodUsage(ctx, db, p.Subject, micros(p.PeriodStart), micros(p.PeriodEnd), lock)
	if err != nil {
		return nil, err
	}
	var billed []billRow
	if err := db.NewSelect().Model(&billed).
		Where("subject = ?", p.Subject).Where("period_start < ?", micros(p.PeriodStart)).
		Order("period_start").Scan(ctx); err != nil {
		return nil, fmt.Errorf("read earlier bills: %w", err)
	}
	data := &store.BillData{Usage: own}
	for _, b := range billed {
		u, err := s.periodUsage(ctx, db, p.Subject, b.PeriodStart, b.PeriodEnd, false)
		if err != nil {
			return nil, err
		}
		data.Earlier = append(data.Earlier, u)
	}
	return data, nil
}

// periodUsage reads one period of a subject: its quota rows, grants, the plan in
// force at its end and the lines billed for it.
func (s *engine) periodUsage(ctx context.Context, db bun.IDB, subject string, start, end int64, lock bool) (store.PeriodUsage, error) {
	u := store.PeriodUsage{PeriodStart: fromMicros(start), PeriodEnd: fromMicros(end)}
	var rows []quotaRow
	q := db.NewSelect().Model(&rows).Where("subject = ?", subject).Where("period_start = ?", start).Order("id")
	if lock && s.rowLocks() {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return u, fmt.Errorf("read quotas: %w", err)
	}
	for _, r := range rows {
		u.Quotas = append(u.Quotas, r.quota())
	}
	var err error
	if u.Granted, err = grantedTo(ctx, db, subject, start); err != nil {
		return u, err
	}
	var plans []string
	if err := db.NewSelect().Model((*planChangeRow)(nil)).Column("plan").
		Where("subject = ?", subject).Where("at < ?", end).
		OrderExpr("at DESC, id DESC").Limit(1).Scan(ctx, &plans); err != nil {
		return u, fmt.Errorf("read plan history: %w", err)
	}
	if len(plans) > 0 {
		u.Plan = plans[0]
	}
	var lines []billLineRow
	if err := db.NewSelect().Model(&lines).
		Where("subject = ?", subject).Where("usage_period_start = ?", start).
		Order("bill_period_start", "metric").Scan(ctx); err != nil {
		return u, fmt.Errorf("read billed lines: %w", err)
	}
	for _, l := range lines {
		u.Billed = append(u.Billed, l.line())
	}
	return u, nil
}

// closedBill returns the closed bill of p, or nil.
func closedBill(ctx context.Context, db bun.IDB, p store.BillPeriod) (*store.Bill, error) {
	var row billRow
	err := db.NewSelect().Model(&row).
		Where("subject = ?", p.Subject).Where("period_start = ?", micros(p.PeriodStart)).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read bill: %w", err)
	}
	var lines []billLineRow
	if err := db.NewSelect().Model(&lines).
		Where("subject = ?", p.Subject).Where("bill_period_start = ?", row.PeriodStart).
		Order("usage_period_start", "metric").Scan(ctx); err != nil {
		return nil, fmt.Errorf("read bill lines: %w", err)
	}
	b := &store.Bill{BillPeriod: store.BillPeriod{Subject: row.Subject, PeriodStart: fromMicros(row.PeriodStart),
		PeriodEnd: fromMicros(row.PeriodEnd)}, ClosedAt: fromMicros(row.ClosedAt), Document: []byte(row.Document)}
	for _, l := range lines {
		b.Lines = append(b.Lines, l.line())
	}
	return b, nil
}
