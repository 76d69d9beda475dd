package usage

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/anomaly"
	"github.com/usagekit/usage/store"
)

func TestHourlyValueFollowsTheAggregation(t *testing.T) {
	t.Parallel()
	b := store.Bucket{Total: 9_000_000, Count: 4, Min: 500_000, Max: 4_000_000}
	for agg, want := range map[Aggregation]float64{
		AggregationSum: 9, AggregationCount: 4, AggregationUniqueCount: 4,
		AggregationMax: 4, AggregationLatest: 4, AggregationMin: 0.5, AggregationAvg: 2.25,
	} {
		require.Equal(t, want, hourlyValue(Metric{Aggregation: agg}, b), agg)
		require.Equal(t, agg != AggregationSum && agg != AggregationCount && agg != AggregationUniqueCount, gauge(agg), agg)
	}
	require.Zero(t, hourlyValue(Metric{Aggregation: AggregationAvg}, store.Bucket{}))
}

func TestSameHourIsTheMedianOfTheLatestWeek(t *testing.T) {
	t.Parallel()
	var s sameHour
	require.Zero(t, s.median(3), "no history")
	for _, v := range []float64{1000, 1, 2, 3, 4, 5, 6, 7} {
		s.add(3, v)
	}
	require.Equal(t, 4.0, s.median(3), "the oldest of eight fell out")
	s.add(3, 8)
	require.Equal(t, 5.0, s.median(3))
	require.Zero(t, s.median(4), "hours are apart")
}

func TestHourSlotKeepsWeekendsApartOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	sat := time.Date(2026, 1, 10, 14, 0, 0, 0, time.UTC)
	require.Equal(t, 14, hourSlot(sat, false))
	require.Equal(t, 38, hourSlot(sat, true))
	require.Equal(t, 14, hourSlot(sat.AddDate(0, 0, 2), true), "a Monday")
}

func TestFiniteKeepsValuesStorable(t *testing.T) {
	t.Parallel()
	require.Equal(t, 0.0, finite(math.NaN()))
	require.Equal(t, math.MaxFloat64, finite(math.Inf(1)))
	require.Equal(t, -math.MaxFloat64, finite(math.Inf(-1)))
	require.Equal(t, 2.5, finite(2.5))
}

func TestDetectOptionsDefaultsAndBounds(t *testing.T) {
	t.Parallel()
	o, err := DetectOptions{}.withDefaults()
	require.NoError(t, err)
	require.Equal(t, DefaultAnomalyLookback, o.Lookback)
	require.Equal(t, DefaultAnomalyEventWindow, o.EventWindow)
	require.Equal(t, DefaultAnomalyMaxEvents, o.MaxEvents)
	require.Equal(t, anomaly.UsageEnsembleConfig(), o.Ensemble, "hourly usage gets the usage configuration")
	o, err = DetectOptions{Ensemble: anomaly.EnsembleConfig{Location: time.UTC}}.withDefaults()
	require.NoError(t, err)
	require.Equal(t, anomaly.UsageEnsembleConfig(), o.Ensemble, "the location alone is replaced anyway")
	o, err = DetectOptions{Ensemble: anomaly.EnsembleConfig{AlarmAt: 0.9}}.withDefaults()
	require.NoError(t, err)
	require.Equal(t, anomaly.EnsembleConfig{AlarmAt: 0.9, Quiet: anomaly.DefaultQuiet}, o.Ensemble,
		"a configuration of one's own is used as it is")
	o, err = DetectOptions{Lookback: 6 * time.Hour}.withDefaults()
	require.NoError(t, err)
	require.Equal(t, 6*time.Hour, o.EventWindow, "the event window lies within the lookback")
	for _, bad := range []DetectOptions{
		{Lookback: MaxAnomalyLookback + time.Hour}, {Lookback: -time.Hour}, {Lookback: time.Minute},
		{EventWindow: -time.Hour}, {MaxEvents: -1},
	} {
		_, err := bad.withDefaults()
		require.ErrorIs(t, err, ErrInvalidEvent, "%+v", bad)
	}
}
