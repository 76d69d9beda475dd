package sqlstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// replayRefused turns the refusals of events that turn out to be stored already
// into the replays (or conflicts) they are: an event taken for new is refused before
// its insert could find it stored, and a retry after a lost reply must not be told
// the quota is exhausted by its own first attempt. A refusal changed no usage, so
// the batch's other decisions stand.
func replayRefused(ctx context.Context, tx bun.IDB, events []store.IngestEvent, outcomes []store.Outcome) error {
	var keys []eventKey
	for i, o := range outcomes {
		if refused(o.Status) {
			keys = append(keys, eventKey{events[i].Event.Subject, events[i].Event.ID})
		}
	}
	stored, err := existingEvents(ctx, tx, keys)
	if err != nil || len(stored) == 0 {
		return err
	}
	for i, o := range outcomes {
		if prev, ok := stored[eventKey{events[i].Event.Subject, events[i].Event.ID}]; ok && refused(o.Status) {
			outcomes[i] = replay(prev, events[i].Event, o.Limit)
		}
	}
	return nil
}

// refused reports whether an event of the status was refused without being stored.
func refused(s store.Status) bool {
	return s == store.StatusQuotaExceeded || s == store.StatusOverflow
}

// replay is the outcome of an event whose subject and ID are stored already as
// prev: a duplicate if its payload is the same, else a conflict.
func replay(prev, ev store.Event, limit int64) store.Outcome {
	status := store.StatusDuplicate
	if prev.Fingerprint != ev.Fingerprint {
		status = store.StatusConflict
	}
	return store.Outcome{Status: status, Stored: &prev,
		UsedBefore: prev.UsedAfter, UsedAfter: prev.UsedAfter, Limit: limit}
}

// existingEvents returns the stored events with the given subjects and IDs.
func existingEvents(ctx context.Context, tx bun.IDB, keys []eventKey) (map[eventKey]store.Event, error) {
	out := map[eventKey]store.Event{}
	for chunk := range slices.Chunk(keys, chunkSize) {
		var rows []eventRow
		// In the order of the events' key (see migration 028).
		values, args := valuesList(chunk, "(?, ?)", func(args []any, k eventKey) []any { return append(args, k.id, k.subject) })
		if err := tx.NewSelect().Model(&rows).
			Where("(event_id, subject) IN (VALUES "+values+")", args...).Scan(ctx); err != nil {
			return nil, fmt.Errorf("read stored events: %w", err)
		}
		for _, r := range rows {
			ev, err := r.event()
			if err != nil {
				return nil, fmt.Errorf("read stored event %s: %w", r.EventID, err)
			}
			out[eventKey{r.Subject, r.EventID}] = ev
		}
	}
	return out, nil
}
