package sqlstore

import (
	"math"
	"math/bits"
	"slices"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// alertCrossings returns the statements that raise a batch's alerts, to run in
// the batch's transaction: a threshold alert for each level of a quota's
// QuotaSpec.Alerts that the batch took usage from below to at or above, and a
// refusal alert for each quota that refused an event. It compares each quota's
// usage before the batch (the first admitted event's UsedBefore) with the row as
// the batch leaves it, so many events crossing one level raise it once, and the
// alert's key (see raiseAlert) keeps it once across batches, processes and
// retries. A batch whose quotas have no levels costs a pass over its outcomes.
func alertCrossings(db bun.IDB, params *store.IngestParams, qids []string, outcomes []store.Outcome, quotas map[string]store.Quota) []string {
	var before map[string]int64
	var levels map[string][]store.AlertLevel
	var refusals []string
	for i, ie := range params.Events {
		if len(ie.Quota.Alerts) == 0 {
			continue
		}
		qid := qids[i]
		switch outcomes[i].Status {
		case store.StatusInserted:
			if before == nil {
				before, levels = map[string]int64{}, map[string][]store.AlertLevel{}
			}
			if _, ok := before[qid]; !ok {
				before[qid], levels[qid] = outcomes[i].UsedBefore, ie.Quota.Alerts
			}
		case store.StatusQuotaExceeded:
			if !slices.Contains(refusals, qid) {
				refusals = append(refusals, qid)
			}
		}
	}
	if before == nil && refusals == nil {
		return nil
	}
	now := micros(params.Now)
	var stmts []string
	raise := func(q store.Quota, kind, severity string, threshold int64) {
		r := alertRow{Kind: kind, Severity: severity, Subject: q.Subject, Metric: q.Metric,
			Threshold: threshold, Used: q.Used, Limit: q.Limit,
			PeriodStart: micros(q.PeriodStart), PeriodEnd: micros(q.PeriodEnd), CreatedAt: now}
		pair := raiseAlert(db, &r)
		stmts = append(stmts, pair[0], pair[1])
	}
	ids := make([]string, 0, len(before))
	for id := range before {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		q := quotas[id]
		if q.Unlimited {
			continue
		}
		for _, l := range levels[id] {
			at, ok := alertLevel(q.Limit, l.Threshold)
			if ok && before[id] < at && q.Used >= at {
				raise(q, store.AlertThreshold, l.Severity, l.Threshold)
			}
		}
	}
	slices.Sort(refusals)
	for _, id := range refusals {
		if q := quotas[id]; !q.Unlimited {
			raise(q, store.AlertRefusal, store.SeverityCritical, 0)
		}
	}
	return stmts
}

// alertLevel is the usage, in micro-units, at which a quota with the limit reaches
// threshold basis points of it: rounded up, so that usage at the level is at least
// the share, and at least 1, so that a limit of zero alerts at the first use. It
// is false when the level lies beyond the int64 range, where usage cannot reach.
func alertLevel(limit, threshold int64) (int64, bool) {
	if limit <= 0 || threshold <= 0 {
		return 1, true
	}
	hi, lo := bits.Mul64(uint64(limit), uint64(threshold))
	if hi >= store.BasisPointsPerUnit {
		return 0, false
	}
	q, r := bits.Div64(hi, lo, store.BasisPointsPerUnit)
	if r > 0 {
		q++
	}
	if q > math.MaxInt64 {
		return 0, false
	}
	return int64(q), true
}
