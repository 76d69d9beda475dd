package usage

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/usagekit/usage/store"
)

// Page sizes of Meter.Events, Meter.Corrections and the admin views (TopSubjects,
// MetricQuotas).
const (
	// DefaultPageSize is the page size when a query gives none.
	DefaultPageSize = 100
	// MaxPageSize is the largest page size a query may ask for.
	MaxPageSize = 1000
)

// EventQuery selects a subject's stored events for Meter.Events.
type EventQuery struct {
	// Subject is whose events to list. Required.
	Subject string
	// Metric, when set, lists only the events of that metric.
	Metric string
	// From and To bound the events' Time to [From, To); a zero time leaves that side
	// open.
	From, To time.Time
	// After continues a listing: the Next of the previous page. Zero starts at the
	// subject's first event.
	After int64
	// Limit is the most events a page holds. Defaults to DefaultPageSize; at most
	// MaxPageSize.
	Limit int
}

// EventPage is one page of Meter.Events.
type EventPage struct {
	// Events are the events as tracked, in the order they were stored. Corrections
	// do not change them (see Meter.Corrections).
	Events []Event
	// Next is the cursor of the following page, for EventQuery.After.
	Next int64
	// More is true when events may follow Next. A page can hold fewer than Limit
	// events, even none, while More is true: keep asking until it is false.
	More bool
}

// maxScanPages bounds the store pages one Events call reads to find its matches,
// so that a filter that matches little does not read a subject's whole history in
// one call.
const maxScanPages = 10

// Events lists a subject's stored events, oldest stored first, a page at a time.
// Page through them by passing each page's Next as the next query's After while
// More is true. The Metric and time filters are applied as the events are read, so
// a selective filter makes pages that hold fewer events. Bad input returns a
// *ValidationError.
func (m *Meter) Events(ctx context.Context, q EventQuery) (EventPage, error) {
	if err := m.forSubject(q.Subject); err != nil {
		return EventPage{}, err
	}
	if q.Metric != "" {
		if _, err := m.cfg.metric(q.Metric); err != nil {
			return EventPage{}, err
		}
	}
	limit, err := pageSize(q.Limit)
	if err != nil {
		return EventPage{}, err
	}
	if q.After < 0 {
		return EventPage{}, invalid("after", "%d: want the Next of a previous page, or 0", q.After)
	}
	if err := checkSpan("to", q.From, q.To); err != nil {
		return EventPage{}, err
	}
	page := EventPage{Events: []Event{}, Next: q.After}
	for range maxScanPages {
		res, err := m.store.ListEvents(ctx, &store.ListEventsParams{Subject: q.Subject, AfterSeq: page.Next, Limit: limit})
		if err != nil {
			return EventPage{}, fmt.Errorf("usage: list events of %q: %w", q.Subject, err)
		}
		page.More = len(res.Events) == limit
		for _, e := range res.Events {
			page.Next = e.Seq
			if q.matches(e) {
				page.Events = append(page.Events, eventFromStore(e, m.cfg.metrics[e.Metric]))
				if len(page.Events) == limit {
					// The page is full: what follows is the next page's.
					page.More = page.More || e.Seq != res.Events[len(res.Events)-1].Seq
					return page, nil
				}
			}
		}
		if !page.More {
			break
		}
	}
	return page, nil
}

func (q EventQuery) matches(e store.Event) bool {
	return (q.Metric == "" || e.Metric == q.Metric) &&
		(q.From.IsZero() || !e.Time.Before(q.From)) &&
		(q.To.IsZero() || e.Time.Before(q.To))
}

// pageSize checks a query's page size and fills in the default.
func pageSize(limit int) (int, error) {
	if limit < 0 || limit > MaxPageSize {
		return 0, invalid("limit", "%d: want from 1 to %d, or 0 for %d", limit, MaxPageSize, DefaultPageSize)
	}
	return cmp.Or(limit, DefaultPageSize), nil
}
