package usage_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
)

func TestAForecastLikelyToPassTheLimitRaisesOneAlertPerPeriod(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		ctx := context.Background()
		b := newForecastMeter(t, db)
		trackDaily(t, b, "heavy", "America/New_York", heavyRate)
		trackDaily(t, b, "light", "Europe/Lisbon", lightRate)
		for range 2 {
			_, err := b.meter.Forecast(ctx, "heavy", usage.MetricDocuments, usage.ForecastOptions{})
			require.NoError(t, err)
		}
		_, err := b.meter.Forecast(ctx, "light", usage.MetricDocuments, usage.ForecastOptions{})
		require.NoError(t, err)

		page, err := b.meter.ListAlerts(ctx, usage.AlertFilter{Kind: usage.AlertForecast})
		require.NoError(t, err)
		require.Len(t, page.Alerts, 1, "once per period, and none for the light subject")
		a := page.Alerts[0]
		require.Equal(t, "heavy", a.Subject)
		require.Equal(t, usage.SeverityHigh, a.Severity, "nearly certain")
		require.Contains(t, a.Message, "heavy is projected to reach 100% of its documents limit by 2026-03-")
		require.Contains(t, a.Message, "expected overage")
		require.Contains(t, a.Message, "€")
		require.Equal(t, "500", a.Limit.String())
	})
}

func TestAQuotaAlreadyPastItsLimitRaisesNoForecastAlert(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		ctx := context.Background()
		b := newForecastMeter(t, db)
		over := trackDaily(t, b, "over", "Europe/Lisbon", 2*heavyRate)
		require.Greater(t, over.used, 500.0, "the subject is past the professional plan's 500 documents")
		fc, err := b.meter.Forecast(ctx, "over", usage.MetricDocuments, usage.ForecastOptions{})
		require.NoError(t, err)
		require.NotNil(t, fc.Quota)
		require.Equal(t, 1.0, fc.Quota.ExceedProbability, "past the limit is certain")

		page, err := b.meter.ListAlerts(ctx, usage.AlertFilter{Subject: "over", Kind: usage.AlertForecast})
		require.NoError(t, err)
		require.Empty(t, page.Alerts, "the threshold alerts said it; a projection of reaching 100 % would be wrong")
		page, err = b.meter.ListAlerts(ctx, usage.AlertFilter{Subject: "over", Kind: usage.AlertThreshold})
		require.NoError(t, err)
		require.NotEmpty(t, page.Alerts)
	})
}
