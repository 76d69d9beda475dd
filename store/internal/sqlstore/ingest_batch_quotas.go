package sqlstore

import (
	"slices"
	"strings"

	"github.com/usagekit/usage/store"
)

// batchQuotas are the quota rows a batch's events count against, found once for
// every attempt of Ingest: they depend on the events alone.
type batchQuotas struct {
	// ids[i] is the ID of event i's quota row.
	ids []string
	// ordered are the rows, as created if missing (see quotaOf), in ID order: the
	// order rows are created and locked in.
	ordered []quotaRow
}

// newBatchQuotas finds the quota rows of params' events; ids is reused for their
// IDs.
func newBatchQuotas(params *store.IngestParams, ids []string) *batchQuotas {
	b := &batchQuotas{ids: ids}
	seen := map[quotaKey]string{} // the ID of each row in ordered
	for i, ie := range params.Events {
		qk := quotaKey{ie.Event.Subject, ie.Event.Metric, micros(ie.Quota.PeriodStart)}
		if b.ids[i] = seen[qk]; b.ids[i] == "" {
			row := newQuotaRow(quotaOf(ie, params.Now))
			seen[qk], b.ids[i] = row.ID, row.ID
			b.ordered = append(b.ordered, row)
		}
	}
	slices.SortFunc(b.ordered, func(x, y quotaRow) int { return strings.Compare(x.ID, y.ID) })
	return b
}
