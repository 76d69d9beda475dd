package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/store"
)

// thresholdsTests are the contract of SetThresholds and ListThresholds.
var thresholdsTests = []test{
	{"SetThresholdsReplacesAndRemovesASubjectsOwn", setThresholdsReplacesAndRemovesASubjectsOwn},
}

func setThresholdsReplacesAndRemovesASubjectsOwn(t *testing.T, h Harness) {
	t.Parallel()
	st, _ := open(t, h)
	ctx := context.Background()
	list := func(subject string) []store.SubjectThresholds {
		t.Helper()
		res, err := st.ListThresholds(ctx, &store.ListThresholdsParams{Subject: subject})
		require.NoError(t, err)
		return res.Thresholds
	}
	set := func(p store.SetThresholdsParams) {
		t.Helper()
		p.Now = storeNow
		_, err := st.SetThresholds(ctx, &p)
		require.NoError(t, err)
	}
	require.Empty(t, list("acme"))
	set(store.SetThresholdsParams{Subject: "acme", Metric: "docs", Levels: defaultLevels})
	set(store.SetThresholdsParams{Subject: "acme", Metric: "api_calls", Levels: defaultLevels[:1]})
	set(store.SetThresholdsParams{Subject: "acme", Metric: "api_calls", Levels: defaultLevels[1:]})
	set(store.SetThresholdsParams{Subject: "globex", Metric: "api_calls", Levels: []store.AlertLevel{}})
	got := list("acme")
	require.Len(t, got, 2)
	require.Equal(t, "api_calls", got[0].Metric)
	require.Equal(t, defaultLevels[1:], got[0].Levels, "replaced")
	require.Equal(t, defaultLevels, got[1].Levels)
	require.True(t, got[1].UpdatedAt.Equal(storeNow))
	require.Empty(t, list("globex")[0].Levels, "no levels is kept as such")
	require.Len(t, list(""), 3, "every subject's")
	set(store.SetThresholdsParams{Subject: "acme", Metric: "docs", Remove: true})
	require.Len(t, list("acme"), 1)
	all := list("")
	require.Len(t, all, 2)
	require.Equal(t, []string{"acme", "globex"}, []string{all[0].Subject, all[1].Subject})
}
