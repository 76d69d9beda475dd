package sqlstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// existingDistinct returns which of the batch's unique_count values their quotas
// have already counted.
func existingDistinct(ctx context.Context, tx bun.IDB, events []store.IngestEvent) (map[distinctKey]bool, error) {
	var keys []distinctKey
	for _, ie := range events {
		if ie.Quota.Aggregation == store.AggregationUniqueCount {
			qid := quotaID(ie.Event.Subject, ie.Event.Metric, micros(ie.Quota.PeriodStart))
			keys = append(keys, distinctKey{qid, ie.Quota.Distinct})
		}
	}
	out := map[distinctKey]bool{}
	for chunk := range slices.Chunk(keys, chunkSize) {
		var rows []distinctRow
		values, args := valuesList(chunk, "(?, ?)", func(args []any, k distinctKey) []any { return append(args, k.quotaID, k.value) })
		if err := tx.NewSelect().Model(&rows).
			Where("(quota_id, value) IN (VALUES "+values+")", args...).Scan(ctx); err != nil {
			return nil, fmt.Errorf("read distinct values: %w", err)
		}
		for _, r := range rows {
			out[distinctKey{r.QuotaID, r.Value}] = true
		}
	}
	return out, nil
}

// distinctInserts returns the inserts of a batch's new distinct values.
func distinctInserts(tx bun.IDB, distinct []distinctRow) []string {
	var stmts []string
	for chunk := range slices.Chunk(distinct, chunkSize) {
		stmts = append(stmts, tx.NewInsert().Model(&chunk).String())
	}
	return stmts
}
