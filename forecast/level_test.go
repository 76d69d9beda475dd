package forecast

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/stat/distuv"
)

func TestProjectLevelPeakWithoutUncertainty(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	f := flatForecast(3, 0, 0)
	copy(f.Point, []float64{4, 6, 5})
	copy(f.Lower95, f.Point)
	copy(f.Upper95, f.Point)
	p, err := ProjectLevel(LevelInput{Forecast: f, StepEnds: days(start, 3), Used: 3, Limit: 5})
	require.NoError(t, err)
	require.Equal(t, start.AddDate(0, 0, 1), p.Crossings[0].At, "80 %% = 4 at the first step")
	require.Equal(t, start.AddDate(0, 0, 2), p.Crossings[1].At, "90 %% = 4.5 at the second")
	require.Equal(t, start.AddDate(0, 0, 2), p.Crossings[2].At)
	require.False(t, p.Crossings[0].Already)
	require.InDelta(t, 6, p.ExpectedTotal, 1e-9, "the peak of the period")
	require.Equal(t, 1.0, p.ExceedProbability)
	require.InDelta(t, 1, p.ExpectedOverage, 1e-9)

	p, err = ProjectLevel(LevelInput{Forecast: f, StepEnds: days(start, 3), Used: 3, Limit: 5, Final: true})
	require.NoError(t, err)
	require.InDelta(t, 5, p.ExpectedTotal, 1e-9, "the level at the end")
	require.Zero(t, p.ExceedProbability, "the level ends at the limit, not above")
	require.Zero(t, p.ExpectedOverage)
	require.True(t, p.Crossings[2].Reached, "the level reached the limit on the way")
}

func TestProjectLevelMatchesNormalForOneStep(t *testing.T) {
	t.Parallel()
	sd := 1.0
	f := flatForecast(1, 4, sd*distuv.UnitNormal.Quantile(0.975))
	for _, final := range []bool{false, true} {
		p, err := ProjectLevel(LevelInput{Forecast: f, StepEnds: days(time.Unix(0, 0), 1),
			Used: -100, Limit: 5, Final: final})
		require.NoError(t, err)
		// The level is N(4, 1): above 5 with probability 1 − Φ(1), and its mean
		// excess over 5 is φ(1) − (1 − Φ(1)).
		tail := 1 - distuv.UnitNormal.CDF(1)
		require.InDelta(t, tail, p.ExceedProbability, 1e-9, "final=%v", final)
		require.InDelta(t, distuv.UnitNormal.Prob(1)-tail, p.ExpectedOverage, 1e-4, "final=%v", final)
		require.InDelta(t, 4, p.ExpectedTotal, 1e-4, "final=%v", final)
	}
}

func TestProjectLevelPeakGrowsWithSteps(t *testing.T) {
	t.Parallel()
	one := flatForecast(1, 4, 1.96)
	many := flatForecast(10, 4, 1.96)
	p1, err := ProjectLevel(LevelInput{Forecast: one, StepEnds: days(time.Unix(0, 0), 1), Limit: 5})
	require.NoError(t, err)
	p10, err := ProjectLevel(LevelInput{Forecast: many, StepEnds: days(time.Unix(0, 0), 10), Limit: 5})
	require.NoError(t, err)
	// With perfectly correlated errors equal steps move together: the peak of ten
	// equal steps is distributed as one of them.
	require.InDelta(t, p1.ExceedProbability, p10.ExceedProbability, 1e-9)
	require.InDelta(t, p1.ExpectedOverage, p10.ExpectedOverage, 1e-9)
}

func TestProjectLevelAlreadyAndOver(t *testing.T) {
	t.Parallel()
	p, err := ProjectLevel(LevelInput{Forecast: flatForecast(5, 1, 0.5), StepEnds: days(time.Unix(0, 0), 5),
		Used: 7, Limit: 5})
	require.NoError(t, err)
	for _, c := range p.Crossings {
		require.True(t, c.Already)
		require.True(t, c.At.IsZero())
	}
	require.Equal(t, 1.0, p.ExceedProbability, "the peak is past the limit already")
	require.InDelta(t, 2, p.ExpectedOverage, 1e-6)

	p, err = ProjectLevel(LevelInput{Used: 7, Limit: 5, Final: true})
	require.NoError(t, err)
	require.Equal(t, 1.0, p.ExceedProbability, "a period without steps left ends at Used")
	require.InDelta(t, 2, p.ExpectedOverage, 1e-9)
}

func TestProjectLevelRefusesBadInput(t *testing.T) {
	t.Parallel()
	f := flatForecast(2, 1, 0)
	for _, in := range []LevelInput{
		{Forecast: f, Limit: 0},
		{Forecast: f, Limit: math.Inf(1)},
		{Forecast: f, Limit: 1, Used: math.NaN()},
		{Forecast: f, Limit: 1, StepEnds: days(time.Unix(0, 0), 3)},
	} {
		_, err := ProjectLevel(in)
		require.ErrorIs(t, err, ErrQuotaInput)
	}
}
