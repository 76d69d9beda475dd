package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// correctionsTests are the contract of CorrectEvent and ListCorrections.
var correctionsTests = []test{
	{"CorrectEventVoidsAndAmendsASum", correctEventVoidsAndAmendsASum},
	{"CorrectEventRecomputesALevel", correctEventRecomputesALevel},
	{"CorrectEventRecountsUniqueValues", correctEventRecountsUniqueValues},
	{"CorrectEventReplaysAStoredID", correctEventReplaysAStoredID},
	{"CorrectEventRefusesUnknownAndVoidedEvents", correctEventRefusesUnknownAndVoidedEvents},
	{"CorrectEventRefusesAnAmendPastTheLimitWithoutOverage", correctEventRefusesAnAmendPastTheLimitWithoutOverage},
}

// correct stores a correction of subject's event that sets its value to units
// (ignored by a void).
func correct(st store.Store, id, subject, eventID string, kind store.CorrectionKind, units float64) (*store.CorrectEventResult, error) {
	return st.CorrectEvent(context.Background(), &store.CorrectEventParams{
		Correction: store.Correction{ID: id, Subject: subject, EventID: eventID, Kind: kind, Reason: "test", Actor: "ops"},
		Check:      func(store.Event) (int64, string, error) { return int64(units * unit), "", nil },
		Now:        storeNow.Add(time.Hour),
	})
}

func listCorrections(t *testing.T, st store.Store, subject string) []store.Correction {
	t.Helper()
	res, err := st.ListCorrections(context.Background(), &store.ListCorrectionsParams{Subject: subject})
	require.NoError(t, err)
	return res.Corrections
}

func correctEventVoidsAndAmendsASum(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ingest(t, st,
		ingestEvent("acme", "e1", "credits", 3, store.AggregationSum, 10, false),
		ingestEvent("acme", "e2", "credits", 4, store.AggregationSum, 10, false))
	void, err := correct(st, "c1", "acme", "e1", store.CorrectionVoid, 99)
	require.NoError(t, err)
	require.False(t, void.Replayed || void.Refused)
	require.Equal(t, int64(7*unit), void.UsedBefore)
	require.Equal(t, int64(4*unit), void.Quota.Used)
	c := void.Correction
	require.Equal(t, "credits", c.Metric, "the backend sets the event's metric")
	require.True(t, c.PeriodStart.Equal(periodStart), "and its period")
	require.Equal(t, int64(3*unit), c.OldValue)
	require.Zero(t, c.NewValue, "a void sets the value to zero, whatever Check says")
	require.True(t, c.CreatedAt.Equal(storeNow.Add(time.Hour)))

	amend, err := correct(st, "c2", "acme", "e2", store.CorrectionAmend, 6.5)
	require.NoError(t, err)
	require.Equal(t, int64(4*unit), amend.Correction.OldValue)
	require.Equal(t, int64(6_500_000), amend.Correction.NewValue)
	require.Equal(t, int64(6_500_000), amend.Quota.Used)
	require.Equal(t, amend.Quota, getQuota(t, st, "acme", "credits"), "as stored")
	again, err := correct(st, "c3", "acme", "e2", store.CorrectionAmend, 1)
	require.NoError(t, err)
	require.Equal(t, int64(6_500_000), again.Correction.OldValue, "an amend starts from the event as corrected")
	require.Equal(t, int64(unit), again.Quota.Used)

	events := listEvents(t, st, "acme")
	require.Len(t, events, 2)
	require.Equal(t, int64(3*unit), events[0].Value, "the event itself never changes")
	require.Equal(t, int64(4*unit), events[1].Value)
	list := listCorrections(t, st, "acme")
	require.Len(t, list, 3)
	for i, id := range []string{"c1", "c2", "c3"} {
		require.Equal(t, id, list[i].ID, "in storage order")
		require.Equal(t, "test", list[i].Reason)
		require.Equal(t, "ops", list[i].Actor)
		if i > 0 {
			require.Greater(t, list[i].Seq, list[i-1].Seq)
		}
	}
	rest, err := st.ListCorrections(context.Background(), &store.ListCorrectionsParams{Subject: "acme", AfterSeq: list[0].Seq, Limit: 1})
	require.NoError(t, err)
	require.Len(t, rest.Corrections, 1)
	require.Equal(t, "c2", rest.Corrections[0].ID)

	series, err := st.Series(context.Background(), &store.SeriesParams{Subject: "acme", Metric: "credits",
		From: periodStart, To: periodEnd})
	require.NoError(t, err)
	require.Len(t, series.Buckets, 1)
	require.Equal(t, int64(unit), series.Buckets[0].Total, "the rollups follow the corrections")
}

// correctEventRecomputesALevel voids the highest value of a max quota: usage falls
// to the highest of the others.
func correctEventRecomputesALevel(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	for i, v := range []float64{3, 9, 5} {
		ingest(t, st, ingestEvent("acme", string(rune('a'+i)), "level", v, store.AggregationMax, -1, false))
	}
	res, err := correct(st, "c1", "acme", "b", store.CorrectionVoid, 0)
	require.NoError(t, err)
	require.Equal(t, int64(5*unit), res.Quota.Used)
	res, err = correct(st, "c2", "acme", "a", store.CorrectionAmend, 2)
	require.NoError(t, err)
	require.Equal(t, int64(5*unit), res.Quota.Used)
	require.Equal(t, int64(5*unit), getQuota(t, st, "acme", "level").Used)
}

// correctEventRecountsUniqueValues voids seats of a unique_count quota: a user
// stops counting only when none of their events is left in the period.
func correctEventRecountsUniqueValues(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	for i, user := range []string{"ann", "bob", "ann"} {
		e := ingestEvent("acme", fmt.Sprint("s", i), "seats", 0, store.AggregationUniqueCount, 10, false)
		e.Event.User, e.Quota.Distinct, e.Event.Fingerprint = user, user, user
		ingest(t, st, e)
	}
	require.Equal(t, int64(2*unit), getQuota(t, st, "acme", "seats").Used)
	res, err := correct(st, "c1", "acme", "s0", store.CorrectionVoid, 0)
	require.NoError(t, err)
	require.Equal(t, int64(2*unit), res.Quota.Used, "ann has another seat event")
	res, err = correct(st, "c2", "acme", "s2", store.CorrectionVoid, 0)
	require.NoError(t, err)
	require.Equal(t, int64(unit), res.Quota.Used, "ann has none left")
	require.Equal(t, int64(unit), getQuota(t, st, "acme", "seats").Used)
}

func correctEventReplaysAStoredID(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ingest(t, st, ingestEvent("acme", "e1", "credits", 3, store.AggregationSum, 10, false))
	first, err := correct(st, "c1", "acme", "e1", store.CorrectionAmend, 2)
	require.NoError(t, err)
	again, err := correct(st, "c1", "acme", "e1", store.CorrectionAmend, 1)
	require.NoError(t, err)
	require.True(t, again.Replayed)
	require.Equal(t, first.Correction, again.Correction, "the correction stored first")
	require.Equal(t, int64(2*unit), again.Quota.Used, "a replay changes nothing")
	require.Len(t, listCorrections(t, st, "acme"), 1)
}

func correctEventRefusesUnknownAndVoidedEvents(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ingest(t, st, ingestEvent("acme", "e1", "credits", 3, store.AggregationSum, 10, false))
	_, err := correct(st, "c1", "acme", "nope", store.CorrectionVoid, 0)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = correct(st, "c1", "globex", "e1", store.CorrectionVoid, 0)
	require.ErrorIs(t, err, store.ErrNotFound, "events are found by subject and ID")
	_, err = correct(st, "c1", "acme", "e1", store.CorrectionVoid, 0)
	require.NoError(t, err)
	_, err = correct(st, "c2", "acme", "e1", store.CorrectionAmend, 1)
	require.ErrorIs(t, err, store.ErrVoided)
	_, err = correct(st, "c3", "acme", "e1", store.CorrectionVoid, 0)
	require.ErrorIs(t, err, store.ErrVoided)

	refused := errors.New("refused by the caller")
	ingest(t, st, ingestEvent("acme", "e2", "credits", 3, store.AggregationSum, 10, false))
	_, err = st.CorrectEvent(context.Background(), &store.CorrectEventParams{
		Correction: store.Correction{ID: "c4", Subject: "acme", EventID: "e2", Kind: store.CorrectionAmend},
		Check: func(ev store.Event) (int64, string, error) {
			require.Equal(t, "e2", ev.ID, "Check sees the event to correct")
			return 0, "", refused
		},
		Now: storeNow,
	})
	require.ErrorIs(t, err, refused, "Check's error is returned")
	require.Len(t, listCorrections(t, st, "acme"), 1, "nothing of a refused correction is stored")
	require.Equal(t, int64(3*unit), getQuota(t, st, "acme", "credits").Used)
}

func correctEventRefusesAnAmendPastTheLimitWithoutOverage(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ingest(t, st,
		ingestEvent("acme", "e1", "credits", 3, store.AggregationSum, 10, false),
		ingestEvent("acme", "e2", "credits", 5, store.AggregationSum, 10, false))
	res, err := correct(st, "c1", "acme", "e1", store.CorrectionAmend, 6)
	require.NoError(t, err)
	require.True(t, res.Refused)
	require.Equal(t, int64(8*unit), res.Quota.Used, "the quota as it was")
	require.Empty(t, listCorrections(t, st, "acme"), "nothing is stored")
	res, err = correct(st, "c1", "acme", "e1", store.CorrectionAmend, 5)
	require.NoError(t, err)
	require.False(t, res.Refused, "up to the limit is allowed")
	require.Equal(t, int64(10*unit), res.Quota.Used)
	res, err = correct(st, "c2", "acme", "e1", store.CorrectionAmend, 1)
	require.NoError(t, err)
	require.False(t, res.Refused, "lowering usage is never refused")

	ingest(t, st, ingestEvent("acme", "o1", "docs", 3, store.AggregationSum, 5, true))
	res, err = correct(st, "c3", "acme", "o1", store.CorrectionAmend, 50)
	require.NoError(t, err)
	require.False(t, res.Refused, "a quota with overage takes it")
	require.Equal(t, int64(50*unit), res.Quota.Used)
}
