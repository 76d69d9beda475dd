package usage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/usagekit/usage/internal/retry"
	"github.com/usagekit/usage/store"
)

// DefaultBillingGrace is a grace period for CloseInvoices: how long after a period
// ends its invoice waits for late events before it is closed.
const DefaultBillingGrace = 24 * time.Hour

// BillingSink receives closed invoices, such as a payment provider or an accounting
// system. It must be safe for concurrent use.
//
// Delivery is exactly once per subject and period in the store: however many
// instances call CloseInvoices at once, one invoice per period is recorded as
// delivered, and only after DeliverInvoice returned nil. DeliverInvoice runs inside
// the transaction that claims the invoice and records it, and the claim commits only
// with that record: an error from DeliverInvoice rolls the claim back and leaves the
// period to be closed again by a later call. So the sink sees each invoice at least
// once, and more than once only when the transaction fails after DeliverInvoice
// returned nil (the process dies, the database goes away before the commit), in
// which case it is delivered again later. A sink that must act exactly once
// deduplicates by Invoice.ID, or writes in a way that is idempotent by it.
//
// Keep DeliverInvoice short: while it runs, the subject's quota rows for the period
// are locked (on SQLite, the whole database waits for the write lock). Hand the
// invoice to a queue or an outbox rather than waiting on a slow remote service.
type BillingSink interface {
	DeliverInvoice(ctx context.Context, inv Invoice) error
}

// BillingSinkFunc adapts a function to a BillingSink.
type BillingSinkFunc func(ctx context.Context, inv Invoice) error

// DeliverInvoice calls f.
func (f BillingSinkFunc) DeliverInvoice(ctx context.Context, inv Invoice) error { return f(ctx, inv) }

// CloseInvoices closes the invoices of every billing period that ended at least
// grace ago and has usage but no closed invoice, oldest first, delivering each to
// sink exactly once (see BillingSink). Call it periodically, on any or every
// instance: a period that another instance is closing, or has closed, is skipped.
//
// It returns the invoices this call closed. A period whose invoice fails (the sink
// or the store returns an error) stays open to be closed by a later call; the
// failures are returned joined, after the other periods were closed. A subject
// without usage in a period gets no invoice for it.
//
// A period is open until its invoice is closed: late events and corrections count in
// it and in its draft. After that, they still count in the period's usage, and the
// difference they make is billed as an adjustment line on the subject's next
// invoice. grace must not be negative; DefaultBillingGrace is a reasonable value, and
// Config.MaxLateness is the one after which no late event can arrive.
func (m *Meter) CloseInvoices(ctx context.Context, sink BillingSink, grace time.Duration) ([]Invoice, error) {
	if err := m.checkOpen(); err != nil {
		return nil, err
	}
	if sink == nil {
		return nil, errors.New("usage: CloseInvoices: nil BillingSink")
	}
	if grace < 0 {
		return nil, invalid("grace", "%s: want zero or more", grace)
	}
	now := m.now()
	due, err := m.store.ListUnbilled(ctx, &store.ListUnbilledParams{EndedBy: now.Add(-grace)})
	if err != nil {
		return nil, fmt.Errorf("usage: close invoices: %w", err)
	}
	var closed []Invoice
	var errs []error
	for _, p := range due.Periods {
		inv, ok, err := m.closeInvoice(ctx, p, sink, now)
		switch {
		case err != nil:
			errs = append(errs, err)
		case ok:
			closed = append(closed, inv)
		}
		if ctx.Err() != nil {
			break
		}
	}
	return closed, errors.Join(errs...)
}

// closeInvoice closes the invoice of one period, reporting false when another call
// had closed it.
func (m *Meter) closeInvoice(ctx context.Context, p store.BillPeriod, sink BillingSink, now time.Time) (Invoice, bool, error) {
	r, err := m.resolve(ctx, "close invoices", p.Subject, now)
	if err != nil {
		return Invoice{}, false, err
	}
	var inv Invoice
	// refused is the invoice's or the sink's own failure in the last attempt: not
	// the database's, so not retried even if it looks transient (a sink's network
	// error would).
	var refused error
	params := &store.CloseBillParams{Period: p, Now: now,
		Deliver: func(ctx context.Context, data *store.BillData) (*store.ClosedBill, error) {
			var lines []store.BillLine
			var err error
			inv, lines, err = m.buildInvoice(p.Subject, r, data)
			if err != nil {
				refused = err
				return nil, err
			}
			inv.Closed, inv.ClosedAt = true, now
			doc, err := json.Marshal(inv)
			if err != nil {
				refused = err
				return nil, err
			}
			if err := sink.DeliverInvoice(ctx, inv); err != nil {
				refused = fmt.Errorf("billing sink: %w", err)
				return nil, refused
			}
			return &store.ClosedBill{Document: doc, Lines: lines}, nil
		}}
	var res *store.CloseBillResult
	err = retry.Do(ctx, func(ctx context.Context) error {
		refused = nil
		res, err = m.direct.CloseBill(ctx, params)
		if err != nil && refused != nil {
			return refused
		}
		return err
	})
	if err != nil {
		return Invoice{}, false, fmt.Errorf("usage: close invoice of %q: %w", p.Subject, err)
	}
	return inv, res.Closed, nil
}
