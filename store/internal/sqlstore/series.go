package sqlstore

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/uptrace/bun"
)

// seriesOf is the series key of a subject's metric: the 64-bit FNV-1a hash of the
// subject, a unit separator and the metric. usage_events stores it with each event
// and indexes (series, at), which finds a series' events by time as the index on
// (subject, metric, at) did, but compares two integers where that compared two
// strings, and has narrower entries: every ingested event is inserted into it.
// Keys are stored, so the function must never change. Different series may share
// a key; every query on it also names the subject and metric.
func seriesOf(subject, metric string) int64 {
	h := fnv.New64a()
	h.Write([]byte(subject))
	h.Write([]byte{0x1f})
	h.Write([]byte(metric))
	return int64(h.Sum64())
}

// fillEventSeries sets the series key of the events stored before usage_events had
// one. It runs inside the migration's transaction, after the column is added and
// before the (subject, metric, at) index is dropped, which finds each series' events.
func fillEventSeries(ctx context.Context, tx bun.Tx) error {
	type series struct {
		Subject string `bun:"subject"`
		Metric  string `bun:"metric"`
	}
	var all []series
	if err := tx.NewSelect().TableExpr("usage_events").ColumnExpr("DISTINCT subject, metric").
		Where("series IS NULL").Scan(ctx, &all); err != nil {
		return fmt.Errorf("read the events' series: %w", err)
	}
	for chunk := range slices.Chunk(all, chunkSize) {
		values, args := valuesList(chunk, "(?, ?, CAST(? AS BIGINT))", func(args []any, s series) []any {
			return append(args, s.Subject, s.Metric, seriesOf(s.Subject, s.Metric))
		})
		if _, err := tx.ExecContext(ctx, "UPDATE usage_events SET series = v.column3 FROM (VALUES "+values+
			") AS v WHERE usage_events.subject = v.column1 AND usage_events.metric = v.column2 AND usage_events.series IS NULL",
			args...); err != nil {
			return fmt.Errorf("fill the events' series: %w", err)
		}
	}
	return nil
}
