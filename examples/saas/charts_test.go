package main

// Checks of what the dashboard draws: quota bars, the trend and the forecast.

import (
	"fmt"
	"math"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
)

type quotaView struct {
	Metric, Used, Limit, Percent, ValueNow, ValueMax, Class string
	Width                                                   string
}

func checkQuotaBars(t *testing.T, b *browser, m *usage.Meter, subject string) {
	t.Helper()
	shown := eval[[]quotaView](t, b, `[...document.querySelectorAll('#quotas li.quota')].map((li) => {
		const bar = li.querySelector('[role=progressbar]');
		const text = (sel) => (li.querySelector(sel) || {}).textContent || '';
		return {Metric: li.dataset.metric, Used: text('.used'), Limit: text('.limit'), Percent: text('.percent'),
			ValueNow: bar ? bar.getAttribute('aria-valuenow') : '', ValueMax: bar ? bar.getAttribute('aria-valuemax') : '',
			Class: li.className, Width: bar ? String(bar.querySelector('.fill').getBoundingClientRect().width / bar.clientWidth) : ''};
	})`)
	sum, err := m.Summary(t.Context(), subject)
	require.NoError(t, err)
	require.Len(t, shown, len(sum.Quotas))
	levels := map[string]bool{}
	for i, q := range sum.Quotas {
		v := shown[i]
		require.Equal(t, q.Metric, v.Metric)
		require.Equal(t, q.Used.String(), v.Used, q.Metric)
		require.Equal(t, q.Limit.String(), v.Limit, q.Metric)
		require.Equal(t, strconv.FormatFloat(q.Percent, 'f', 1, 64)+" %", v.Percent, q.Metric)
		require.Equal(t, "100", v.ValueMax, q.Metric)
		now, err := strconv.ParseFloat(v.ValueNow, 64)
		require.NoError(t, err, q.Metric)
		require.InDelta(t, math.Min(q.Percent, 100), now, 0.05, q.Metric)
		width, err := strconv.ParseFloat(v.Width, 64)
		require.NoError(t, err)
		require.InDelta(t, math.Min(q.Percent, 100)/100, width, 0.02, "%s: the bar is as long as the share used", q.Metric)
		level := "level-ok"
		switch {
		case q.Percent >= 100:
			level = "level-over"
		case q.Percent >= 90:
			level = "level-high"
		case q.Percent >= 80:
			level = "level-warn"
		}
		require.Contains(t, v.Class, level, q.Metric)
		levels[level] = true
	}
	require.True(t, levels["level-over"] && levels["level-high"] && levels["level-ok"],
		"the seed shows a bar over the limit, one above 90 %% and a quiet one: %v", levels)
	overage := eval[string](t, b, `document.getElementById('overage-total').textContent`)
	require.Equal(t, "Overage cost so far: "+sum.OverageCost.Amount.StringFixed(2)+" "+sum.OverageCost.Currency, overage)
}

type chartView struct {
	Metric, Total, LastValue, Limit string
	Segments, Rows                  int
	Title, Described                string
}

func checkTrendChart(t *testing.T, b *browser, m *usage.Meter, subject string) {
	t.Helper()
	c := eval[chartView](t, b, `(() => {
		const svg = document.querySelector('#trend-chart svg');
		const line = svg.querySelector('path.usage-line');
		const limit = svg.querySelector('line.limit-line');
		return {Metric: document.getElementById('metric').value, Total: document.getElementById('trend-text').dataset.total,
			LastValue: line.dataset.lastValue, Limit: limit ? limit.dataset.limit : '',
			Segments: (line.getAttribute('d').match(/L/g) || []).length,
			Rows: document.querySelectorAll('#trend-table tbody tr').length,
			Title: svg.querySelector('title').textContent,
			Described: document.getElementById(svg.getAttribute('aria-describedby')).textContent};
	})()`)
	trend, err := m.Trend(t.Context(), usage.TrendQuery{Subject: subject, Metric: c.Metric})
	require.NoError(t, err)
	require.Equal(t, trend.Total.String(), c.Total)
	last, err := strconv.ParseFloat(c.LastValue, 64)
	require.NoError(t, err)
	require.InDelta(t, trend.Total.Float64(), last, 1e-6, "the cumulative line ends at the period's total")
	require.Equal(t, len(trend.Series), c.Segments, "one segment per day of the series")
	require.Equal(t, len(trend.Series), c.Rows, "the text alternative has a row per day")
	q, err := m.CheckQuota(t.Context(), subject, c.Metric, 1)
	require.NoError(t, err)
	require.Equal(t, q.Limit.String(), c.Limit)
	require.Contains(t, c.Title, c.Metric)
	require.Contains(t, c.Described, trend.Total.String()+" ")
}

// checkAGaugeIsDrawnAsItsLevel chooses a max metric: its line is the level of each
// day, not a running sum.
func checkAGaugeIsDrawnAsItsLevel(t *testing.T, b *browser, m *usage.Meter, subject, metric string) {
	t.Helper()
	eval[bool](t, b, fmt.Sprintf(`(() => {
		const s = document.getElementById('metric');
		s.value = %q;
		s.dispatchEvent(new Event('change'));
		return true;
	})()`, metric))
	b.do(t, chromedp.WaitVisible(chromedp.CSS(`#trend-section[data-loaded]`)))
	last := eval[string](t, b, `document.querySelector('#trend-chart path.usage-line').dataset.lastValue`)
	trend, err := m.Trend(t.Context(), usage.TrendQuery{Subject: subject, Metric: metric})
	require.NoError(t, err)
	require.NotEmpty(t, trend.Series)
	level, err := strconv.ParseFloat(last, 64)
	require.NoError(t, err)
	require.InDelta(t, trend.Series[len(trend.Series)-1].Value.Float64(), level, 1e-9)
	require.InDelta(t, trend.Total.Float64(), level, 1e-9, "the seeded level grows, so the last day holds the period's max")
	b.do(t, chromedp.WaitVisible(chromedp.CSS(`#forecast-section[data-loaded]`)))
}

type forecastView struct {
	Steps   int
	Band    bool
	Text    string
	Metric  string
	HasLine bool
}

func checkForecast(t *testing.T, b *browser, m *usage.Meter, subject string) {
	t.Helper()
	f := eval[forecastView](t, b, `({Steps: document.querySelectorAll('#forecast-table tbody tr').length,
		Band: !!document.querySelector('#forecast-chart svg polygon.band'),
		HasLine: !!document.querySelector('#forecast-chart svg path.forecast-line'),
		Text: document.getElementById('forecast-text').textContent, Metric: document.getElementById('metric').value})`)
	stored, err := m.Forecasts(t.Context(), subject, f.Metric, 1)
	require.NoError(t, err)
	require.Len(t, stored, 1, "the page's request made the forecast")
	fc := stored[0]
	require.Equal(t, len(fc.Points), f.Steps)
	require.True(t, f.Band && f.HasLine, "the forecast is drawn with its band")
	require.NotNil(t, fc.Quota)
	require.Contains(t, f.Text, "the chance of passing the limit is "+
		strconv.FormatFloat(fc.Quota.ExceedProbability*100, 'f', 1, 64)+" %")
}
