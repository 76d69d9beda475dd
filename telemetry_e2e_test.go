package usage_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/internal/testdb"
	"github.com/usagekit/usage/store"
)

// unavailableOnce fails its first ListForecasts as an unreachable database would.
type unavailableOnce struct {
	store.Store
	failed atomic.Bool
}

func (s *unavailableOnce) ListForecasts(ctx context.Context, p *store.ListForecastsParams) (*store.ListForecastsResult, error) {
	if !s.failed.Swap(true) {
		return nil, fmt.Errorf("%w: connection refused", store.ErrUnavailable)
	}
	return s.Store.ListForecasts(ctx, p)
}

// collected is what a manual reader collected, by instrument name.
type collected map[string]metricdata.Aggregation

func collect(t *testing.T, r *sdkmetric.ManualReader) collected {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.Collect(context.Background(), &rm))
	out := collected{}
	for _, sm := range rm.ScopeMetrics {
		require.Equal(t, usage.InstrumentationName, sm.Scope.Name)
		for _, m := range sm.Metrics {
			out[m.Name] = m.Data
		}
	}
	return out
}

// sum is the value of an Int64 counter's data point with the attributes kv, 0 if
// there is none.
func (c collected) sum(t *testing.T, name string, kv ...attribute.KeyValue) int64 {
	t.Helper()
	data, ok := c[name]
	if !ok {
		return 0
	}
	s, ok := data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is a %T", name, data)
	want := attribute.NewSet(kv...)
	for _, dp := range s.DataPoints {
		if dp.Attributes.Equals(&want) {
			return dp.Value
		}
	}
	return 0
}

func TestInstrumentsCountAKnownWorkload(t *testing.T) {
	eachBackend(t, func(t *testing.T, db testdb.Backend) {
		ctx := context.Background()
		st, _ := db.OpenNew(t)
		flaky := &unavailableOnce{Store: st}
		reader := sdkmetric.NewManualReader()
		cfg := e2eConfig(nil)
		cfg.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		cfg.MaxInFlight = 10
		m, err := usage.New(flaky, cfg)
		require.NoError(t, err)
		t.Cleanup(func() { m.Close(ctx) })

		credits := func(id string, value float64) usage.Event {
			return usage.Event{Subject: "acme", Metric: "credits", ID: id, Value: value}
		}
		for i := range 10 {
			track(t, m, credits(fmt.Sprint("e", i), 1))
		}
		for range 3 {
			res, err := m.Track(ctx, credits("e0", 1))
			require.NoError(t, err)
			require.True(t, res.Replayed)
		}
		_, err = m.Track(ctx, credits("e0", 2))
		require.ErrorIs(t, err, usage.ErrEventConflict)
		_, err = m.Track(ctx, credits("big", 2*creditLimit))
		require.ErrorIs(t, err, usage.ErrQuotaExceeded)
		_, err = m.Track(ctx, usage.Event{Metric: "credits", Value: 1})
		require.ErrorIs(t, err, usage.ErrInvalidEvent)
		batch := make([]usage.Event, 5)
		for i := range batch {
			batch[i] = credits(fmt.Sprint("b", i), 1)
		}
		track(t, m, batch...)
		tooMany := make([]usage.Event, cfg.MaxInFlight+1)
		for i := range tooMany {
			tooMany[i] = credits(fmt.Sprint("o", i), 1)
		}
		_, err = m.TrackBatch(ctx, tooMany)
		require.ErrorIs(t, err, usage.ErrOverloaded, "more events than MaxInFlight")
		_, err = m.Forecasts(ctx, "acme", "credits", 1)
		require.NoError(t, err, "the failure is retried")
		runs, err := m.RunMaintenance(ctx)
		require.NoError(t, err)
		require.Len(t, runs, 1)

		c := collect(t, reader)
		require.Equal(t, int64(15), c.sum(t, "usage.events.tracked"))
		require.Equal(t, int64(3), c.sum(t, "usage.events.replayed"))
		require.Equal(t, int64(1), c.sum(t, "usage.events.conflicting"))
		require.Equal(t, int64(1), c.sum(t, "usage.events.refused", attribute.String("reason", "quota")))
		require.Equal(t, int64(1), c.sum(t, "usage.events.refused", attribute.String("reason", "invalid")))
		require.Equal(t, int64(1), c.sum(t, "usage.overload.refusals"))
		require.Equal(t, int64(1), c.sum(t, "usage.store.retries"))
		require.Zero(t, c.sum(t, "usage.events.in_flight"), "every accepted event was committed")
		require.Equal(t, int64(1), c.sum(t, "usage.maintenance.runs",
			attribute.String("job", usage.JobRetention), attribute.String("outcome", "ok")))

		sizes, ok := c["usage.commit.batch_size"].(metricdata.Histogram[int64])
		require.True(t, ok)
		require.Len(t, sizes.DataPoints, 1)
		require.Equal(t, int64(20), sizes.DataPoints[0].Sum, "every event sent to the store, refused ones included")
		times, ok := c["usage.commit.duration"].(metricdata.Histogram[float64])
		require.True(t, ok)
		require.Equal(t, sizes.DataPoints[0].Count, times.DataPoints[0].Count, "one latency per commit")
	})
}
