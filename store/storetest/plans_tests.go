package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// plansTests are the contract of plan assignments and administrative changes of a
// quota: ChangePlan, GetSubject(s) and AdjustQuota.
var plansTests = []test{
	{"ChangePlanStoresTheSubject", changePlanStoresTheSubject},
	{"GetSubjectsReadsThoseAssigned", getSubjectsReadsThoseAssigned},
	{"ChangePlanSetsTheLimitsOfTheCurrentPeriod", changePlanSetsTheLimitsOfTheCurrentPeriod},
	{"AdjustQuotaGrantsAndResets", adjustQuotaGrantsAndResets},
}

// changePlan assigns subject to plan from storeNow, with the given limits.
func changePlan(t *testing.T, st store.Store, subject, plan string, limits map[string]store.QuotaLimit) *store.ChangePlanResult {
	t.Helper()
	res, err := st.ChangePlan(context.Background(), &store.ChangePlanParams{
		Subject: store.Subject{Subject: subject, Plan: plan, Anchor: periodStart, Cycle: "calendar",
			TimeZone: "UTC", UpdatedAt: storeNow},
		At: storeNow, Limits: limits})
	require.NoError(t, err)
	return res
}

func changePlanStoresTheSubject(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ctx := context.Background()
	_, err := st.GetSubject(ctx, &store.GetSubjectParams{Subject: "nobody"})
	require.ErrorIs(t, err, store.ErrNotFound)
	sub := store.Subject{Subject: "acme", Plan: "basic", Anchor: storeNow, Cycle: "anniversary",
		TimeZone: "Europe/Lisbon", UpdatedAt: storeNow}
	_, err = st.ChangePlan(ctx, &store.ChangePlanParams{Subject: sub, At: storeNow})
	require.NoError(t, err)
	got, err := st.GetSubject(ctx, &store.GetSubjectParams{Subject: "acme"})
	require.NoError(t, err)
	require.Equal(t, sub, got.Subject, "every field round-trips")
	sub.Plan = "professional"
	_, err = st.ChangePlan(ctx, &store.ChangePlanParams{Subject: sub, At: storeNow})
	require.NoError(t, err)
	got, err = st.GetSubject(ctx, &store.GetSubjectParams{Subject: "acme"})
	require.NoError(t, err)
	require.Equal(t, sub, got.Subject, "a change replaces the assignment")
}

// getSubjectsReadsThoseAssigned reads more subjects than one statement holds,
// some assigned and some not, as the Meter does for subjects first seen together.
func getSubjectsReadsThoseAssigned(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ctx := context.Background()
	want := map[string]store.Subject{}
	var ask []string
	for i := range 1200 {
		name := fmt.Sprintf("tenant-%04d", i)
		ask = append(ask, name)
		if i%3 != 0 {
			continue
		}
		sub := store.Subject{Subject: name, Plan: fmt.Sprintf("plan-%d", i%7), Anchor: storeNow,
			Cycle: "anniversary", TimeZone: "Europe/Lisbon", UpdatedAt: storeNow}
		_, err := st.ChangePlan(ctx, &store.ChangePlanParams{Subject: sub, At: storeNow})
		require.NoError(t, err)
		want[name] = sub
	}
	got, err := st.GetSubjects(ctx, &store.GetSubjectsParams{Subjects: ask})
	require.NoError(t, err)
	byName := map[string]store.Subject{}
	for _, s := range got.Subjects {
		byName[s.Subject] = s
	}
	require.Equal(t, want, byName, "the assigned subjects, every field, and no other")
	none, err := st.GetSubjects(ctx, &store.GetSubjectsParams{})
	require.NoError(t, err)
	require.Empty(t, none.Subjects)
}

// changePlanSetsTheLimitsOfTheCurrentPeriod lowers a limit mid-period: the quota
// row takes the new limit plus what was granted to it, and Ingest refuses by it.
func changePlanSetsTheLimitsOfTheCurrentPeriod(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ctx := context.Background()
	ingest(t, st,
		ingestEvent("acme", "c1", "credits", 4, store.AggregationSum, 10, false),
		ingestEvent("acme", "d1", "docs", 1, store.AggregationSum, 10, false))
	last := ingestEvent("acme", "old", "credits", 1, store.AggregationSum, 10, false)
	last.Quota.PeriodStart, last.Quota.PeriodEnd = periodStart.AddDate(0, -1, 0), periodStart
	last.Event.Time = periodStart.AddDate(0, 0, -1)
	ingest(t, st, last)
	_, err := st.AdjustQuota(ctx, &store.AdjustQuotaParams{Subject: "acme", Metric: "credits",
		Quota: ingestEvent("acme", "", "credits", 0, store.AggregationSum, 10, false).Quota,
		Kind:  store.AdjustmentGrant, Amount: 2 * unit, Now: storeNow})
	require.NoError(t, err)

	res := changePlan(t, st, "acme", "small", map[string]store.QuotaLimit{"credits": {Limit: 5 * unit}})
	limits := map[string]int64{}
	for _, q := range res.Quotas {
		require.True(t, q.PeriodStart.Equal(periodStart), "the result holds the current period's rows")
		limits[q.Metric] = q.Limit
	}
	require.Equal(t, map[string]int64{"credits": 7 * unit, "docs": 10 * unit}, limits,
		"the new limit plus the grant; a metric the plan does not list keeps its limit")
	require.Equal(t, int64(7*unit), getQuota(t, st, "acme", "credits").Limit)
	out := ingest(t, st,
		ingestEvent("acme", "c2", "credits", 2, store.AggregationSum, 10, false),
		ingestEvent("acme", "c3", "credits", 2, store.AggregationSum, 10, false))
	require.Equal(t, []store.Status{store.StatusInserted, store.StatusQuotaExceeded}, statuses(out),
		"an existing row keeps the limit the change gave it, not the spec's")
	prev, err := st.GetQuotas(ctx, &store.GetQuotasParams{Subject: "acme", Metrics: []string{"credits"}, At: last.Event.Time})
	require.NoError(t, err)
	require.Len(t, prev.Quotas, 1)
	require.Equal(t, int64(10*unit), prev.Quotas[0].Limit, "an earlier period keeps its limit")

	unlimited := changePlan(t, st, "acme", "open", map[string]store.QuotaLimit{"credits": {Unlimited: true}})
	for _, q := range unlimited.Quotas {
		if q.Metric == "credits" {
			require.True(t, q.Unlimited)
		}
	}
	out = ingest(t, st, ingestEvent("acme", "c4", "credits", 100, store.AggregationSum, 10, false))
	require.Equal(t, store.StatusInserted, out[0].Status)
}

// adjustQuotaGrantsAndResets checks grants and resets: each raises the limit and is
// recorded; usage never changes.
func adjustQuotaGrantsAndResets(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ctx := context.Background()
	spec := ingestEvent("acme", "", "credits", 0, store.AggregationSum, 10, false).Quota
	grant, err := st.AdjustQuota(ctx, &store.AdjustQuotaParams{Subject: "acme", Metric: "credits", Quota: spec,
		Kind: store.AdjustmentGrant, Amount: 3 * unit, Reason: "goodwill", Actor: "ops", Now: storeNow})
	require.NoError(t, err)
	require.Positive(t, grant.Adjustment.ID)
	require.Equal(t, store.AdjustmentGrant, grant.Adjustment.Kind)
	require.Equal(t, int64(3*unit), grant.Adjustment.Amount)
	require.Equal(t, "goodwill", grant.Adjustment.Reason)
	require.Equal(t, "ops", grant.Adjustment.Actor)
	require.True(t, grant.Adjustment.PeriodStart.Equal(periodStart))
	require.Equal(t, int64(13*unit), grant.Quota.Limit, "a grant on a period without a row creates it from the spec")
	require.Zero(t, grant.Quota.Used)

	for i, v := range []float64{6, 5} {
		ingest(t, st, ingestEvent("acme", string(rune('a'+i)), "credits", v, store.AggregationSum, 10, false))
	}
	reset, err := st.AdjustQuota(ctx, &store.AdjustQuotaParams{Subject: "acme", Metric: "credits", Quota: spec,
		Kind: store.AdjustmentReset, Now: storeNow})
	require.NoError(t, err)
	require.Equal(t, int64(8*unit), reset.Adjustment.Amount, "a reset grants what is used beyond earlier grants")
	require.Equal(t, int64(21*unit), reset.Quota.Limit)
	require.Equal(t, int64(11*unit), reset.Quota.Used, "usage never changes")
	require.Greater(t, reset.Adjustment.ID, grant.Adjustment.ID)
	require.Equal(t, reset.Quota, getQuota(t, st, "acme", "credits"), "as stored")

	again, err := st.AdjustQuota(ctx, &store.AdjustQuotaParams{Subject: "acme", Metric: "credits", Quota: spec,
		Kind: store.AdjustmentReset, Now: storeNow})
	require.NoError(t, err)
	require.Zero(t, again.Adjustment.Amount, "a reset with nothing used beyond grants grants nothing")
	require.Equal(t, int64(21*unit), again.Quota.Limit)
}
